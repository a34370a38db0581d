#include "tools/tools.h"
int cmd_nsenter(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        return 1;
}
