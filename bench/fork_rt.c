/* fork + child _exit(0) + waitpid round trip at a given resident set size (for bench/fork_bench.py).
 * Usage: fork_rt TARGET_RSS_MB [N] [WARMUP]
 * Mallocs and touches (TARGET_RSS_MB - RSS at start) MB, then times N round trips with
 * CLOCK_MONOTONIC. Prints: rss_mb=R n=N ms=t1,t2,... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) { kb = atol(line + 6); break; }
    fclose(f);
    return kb;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double round_trip(void) {
    double t0 = now_ms();
    pid_t p = fork();
    if (p < 0) { perror("fork"); exit(1); }
    if (p == 0) _exit(0);
    int st;
    if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0) { fprintf(stderr, "bad child\n"); exit(1); }
    return now_ms() - t0;
}

int main(int argc, char **argv) {
    long target_mb = argc > 1 ? atol(argv[1]) : 0;
    int n = argc > 2 ? atoi(argv[2]) : 200;
    int warmup = argc > 3 ? atoi(argv[3]) : 10;
    long have_mb = rss_kb() / 1024;
    size_t bytes = target_mb > have_mb ? (size_t)(target_mb - have_mb) << 20 : 0;
    char *mem = NULL;
    if (bytes) {
        mem = malloc(bytes);
        if (!mem) { perror("malloc"); return 1; }
        for (size_t i = 0; i < bytes; i += 4096) mem[i] = (char)(i >> 12 | 1);
    }
    for (int i = 0; i < warmup; i++) round_trip();
    double *ms = malloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++) ms[i] = round_trip();
    printf("rss_mb=%.1f n=%d ms=", rss_kb() / 1024.0, n);
    for (int i = 0; i < n; i++) printf(i ? ",%.4f" : "%.4f", ms[i]);
    printf("\n");
    free(ms);
    free(mem);
    return 0;
}
