/* Strict parsers for the numbers and names that command lines and config files carry. */
#include "basic/parse-util.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/macro.h"

int parse_uint32(const char *s, uint32_t *ret)
{
        if (!s || !*s || !isdigit((unsigned char)s[0]))
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno == ERANGE || v > UINT32_MAX)
                return -ERANGE;
        if (*end)
                return -EINVAL;
        *ret = (uint32_t)v;
        return 0;
}

int parse_int64(const char *s, int64_t *ret)
{
        if (!s || !*s)
                return -EINVAL;
        const char *p = s;
        if (*p == '-' || *p == '+')
                p++;
        if (!isdigit((unsigned char)*p))
                return -EINVAL;
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (*end)
                return -EINVAL;
        *ret = (int64_t)v;
        return 0;
}

int parse_pid(const char *s, pid_t *ret)
{
        uint32_t v;
        int r = parse_uint32(s, &v);
        if (r < 0)
                return r;
        if (v == 0 || v > INT_MAX)
                return -ERANGE;
        *ret = (pid_t)v;
        return 0;
}

static const struct {
        const char *name;
        int sig;
} signal_table[] = {
        { "HUP", SIGHUP },       { "INT", SIGINT },   { "QUIT", SIGQUIT },     { "ILL", SIGILL },
        { "TRAP", SIGTRAP },     { "ABRT", SIGABRT }, { "IOT", SIGIOT },       { "BUS", SIGBUS },
        { "FPE", SIGFPE },       { "KILL", SIGKILL }, { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
        { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },     { "TERM", SIGTERM },
        { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },     { "STOP", SIGSTOP },
        { "TSTP", SIGTSTP },     { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },     { "URG", SIGURG },
        { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
        { "WINCH", SIGWINCH },   { "IO", SIGIO },     { "POLL", SIGPOLL },     { "PWR", SIGPWR },
        { "SYS", SIGSYS },
};

const char *signal_to_name(int sig)
{
        for (size_t i = 0; i < ELEMENTSOF(signal_table); i++)
                if (signal_table[i].sig == sig)
                        return signal_table[i].name;
        return NULL;
}

int parse_signal(const char *s, int *ret)
{
        if (!s || !*s)
                return -EINVAL;
        if (isdigit((unsigned char)s[0])) {
                uint32_t v;
                int r = parse_uint32(s, &v);
                if (r < 0)
                        return r;
                if (v < 1 || v > (uint32_t)SIGRTMAX)
                        return -ERANGE;
                *ret = (int)v;
                return 0;
        }
        const char *n = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
        for (size_t i = 0; i < ELEMENTSOF(signal_table); i++)
                if (strcasecmp(n, signal_table[i].name) == 0) {
                        *ret = signal_table[i].sig;
                        return 0;
                }
        /* RTMIN+n, RTMAX-n */
        if (strncasecmp(n, "RTMIN", 5) == 0 || strncasecmp(n, "RTMAX", 5) == 0) {
                bool min = strncasecmp(n, "RTMIN", 5) == 0;
                int base = min ? SIGRTMIN : SIGRTMAX, off = 0;
                if (n[5]) {
                        uint32_t v;
                        if ((min && n[5] != '+') || (!min && n[5] != '-'))
                                return -EINVAL;
                        if (parse_uint32(n + 6, &v) < 0)
                                return -EINVAL;
                        off = (int)v;
                }
                int sig = min ? base + off : base - off;
                if (sig < SIGRTMIN || sig > SIGRTMAX)
                        return -ERANGE;
                *ret = sig;
                return 0;
        }
        return -EINVAL;
}

int parse_list_next(const char **s, unsigned long *lo, unsigned long *hi)
{
        if (!**s)
                return 0;
        char *end;
        *lo = *hi = strtoul(*s, &end, 10);
        if (*end == '-')
                *hi = strtoul(end + 1, &end, 10);
        if (*end == ',')
                end++;
        *s = end;
        return 1;
}

int parse_size(const char *s, int64_t *ret)
{
        if (!s || !isdigit((unsigned char)s[0]))
                return -EINVAL;
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno == ERANGE)
                return -ERANGE;
        if (*end == ' ')
                end++;
        static const char units[] = "kmgtp";
        double mult = 1;
        const char *u = *end ? strchr(units, tolower((unsigned char)*end)) : NULL;
        if (u) {
                for (const char *p = units; p <= u; p++)
                        mult *= 1024;
                end++;
                if (*end == 'i' || *end == 'I')
                        end++;
        }
        if (*end == 'b' || *end == 'B')
                end++;
        if (*end)
                return -EINVAL;
        v *= mult;
        if (v >= 9223372036854775807.0)
                return -ERANGE;
        *ret = (int64_t)v;
        return 0;
}
