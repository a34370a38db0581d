/* Progress lines for load and save. Redraws at most ten times a second. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/progress.h"

struct rq_progress {
        FILE *f;
        bool tty;
        char what[32], name[16];
        uint64_t total, done;
        struct timespec start, last;
};

static double since(const struct timespec *a, const struct timespec *b)
{
        return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void rq_format_size(uint64_t bytes, char *buf, size_t size)
{
        static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
        double v = (double)bytes;
        size_t u = 0;
        while (v >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
                v /= 1000;
                u++;
        }
        if (u == 0)
                snprintf(buf, size, "%llu %s", (unsigned long long)bytes, units[u]);
        else
                snprintf(buf, size, "%.3g %s", v, units[u]);
}

rq_progress *rq_progress_new(FILE *f, bool tty, const char *what, const char *name, uint64_t total)
{
        if (!f)
                return NULL;
        rq_progress *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        p->f = f;
        p->tty = tty;
        p->total = total;
        snprintf(p->what, sizeof(p->what), "%s", what);
        /* Short ids, as docker and podman show them. */
        snprintf(p->name, sizeof(p->name), "%.12s", name);
        clock_gettime(CLOCK_MONOTONIC, &p->start);
        p->last = p->start;
        if (!tty) {
                fprintf(f, "%s %s\n", p->what, p->name);
                fflush(f);
        }
        return p;
}

static void draw(rq_progress *p, bool final)
{
        char done[32], total[32];
        rq_format_size(p->done, done, sizeof(done));
        rq_format_size(p->total, total, sizeof(total));
        char bar[31];
        size_t width = sizeof(bar) - 1, fill = width;
        if (p->total > 0 && p->done < p->total)
                fill = (size_t)((double)p->done / (double)p->total * (double)width);
        for (size_t i = 0; i < width; i++)
                bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
        bar[width] = '\0';
        fprintf(p->f, "\r\033[K%s %s [%s] %s / %s%s", p->what, p->name, bar, done,
                p->total ? total : "?", final ? "\n" : "");
        fflush(p->f);
}

void rq_progress_add(rq_progress *p, uint64_t n)
{
        if (!p)
                return;
        p->done += n;
        if (!p->tty)
                return;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (since(&p->last, &now) < 0.1)
                return;
        p->last = now;
        draw(p, false);
}

void rq_progress_done(rq_progress *p)
{
        if (!p)
                return;
        if (p->tty) {
                draw(p, true);
        } else {
                struct timespec now;
                char done[32];
                clock_gettime(CLOCK_MONOTONIC, &now);
                rq_format_size(p->done, done, sizeof(done));
                fprintf(p->f, "%s %s done: %s in %.1fs\n", p->what, p->name, done,
                        since(&p->start, &now));
                fflush(p->f);
        }
        p->f = NULL;
}

void rq_progress_free(rq_progress *p)
{
        if (p && p->f && p->tty) {
                fputc('\n', p->f);
                fflush(p->f);
        }
        free(p);
}
