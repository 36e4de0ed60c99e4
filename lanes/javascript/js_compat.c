/* capsa's JavaScript lane: the clocks QuickJS reads, for a VM without the
 * clock grant. QuickJS aborts when clock_gettime fails (js__hrtime_ns), and
 * capsa denies the clocks unless --clock is given; its units are compiled
 * with -Dclock_gettime=capsa_clock_gettime (and gettimeofday likewise), so
 * they land here, where a denied clock reads as 0 (the epoch) instead. */
#include <sys/time.h>
#include <time.h>

#undef clock_gettime
#undef gettimeofday
int clock_gettime(clockid_t clock, struct timespec *now);
int gettimeofday(struct timeval *restrict now, void *restrict zone);

int capsa_clock_gettime(clockid_t clock, struct timespec *now) {
    if (clock_gettime(clock, now) != 0) {
        now->tv_sec = 0;
        now->tv_nsec = 0;
    }
    return 0;
}

int capsa_gettimeofday(struct timeval *restrict now, void *restrict zone) {
    if (gettimeofday(now, zone) != 0) {
        now->tv_sec = 0;
        now->tv_usec = 0;
    }
    return 0;
}

/* WASI has no working directory and wasi-libc's starts at "/": capsa gives
 * a process its shell's as PWD. Entered before main, in programs and in the
 * qjs command alike (this unit is linked into both), as lua_main.c and
 * wasi_ext.c do. A PWD that is not absolute or not reachable changes
 * nothing. */
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void capsa_enter_pwd(void) {
    const char *pwd = getenv("PWD");
    if (pwd != NULL && pwd[0] == '/') {
        (void)chdir(pwd);
    }
}
