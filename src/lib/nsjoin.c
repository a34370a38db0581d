#include "lib/nsjoin.h"
