#include "lib/nslist.h"
