/* The floor of a signal tick on this machine, for tickcost.py: a C loop
 * that sleeps to the next tick (clock_nanosleep, absolute) and sends its
 * parent signal 0 through a pidfd, for 2 s, every INTERVAL_US (argv[1],
 * default 1000), and prints its CPU per tick.
 *   gcc -O2 -o /tmp/tickfloor tickfloor.c */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

int main(int argc, char **argv) {
	long interval = argc > 1 ? atol(argv[1]) : 1000;
	int pidfd = syscall(434 /* pidfd_open */, getppid(), 0);
	struct rusage a, b;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	getrusage(RUSAGE_SELF, &a);
	int n = 2000000 / interval; /* 2 s of ticks */
	for (int i = 0; i < n; i++) {
		next.tv_nsec += interval * 1000;
		while (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		syscall(424 /* pidfd_send_signal */, pidfd, 0, NULL, 0);
	}
	getrusage(RUSAGE_SELF, &b);
	double us = (b.ru_utime.tv_sec - a.ru_utime.tv_sec) * 1e6 + (b.ru_utime.tv_usec - a.ru_utime.tv_usec) +
		    (b.ru_stime.tv_sec - a.ru_stime.tv_sec) * 1e6 + (b.ru_stime.tv_usec - a.ru_stime.tv_usec);
	printf("C floor: %.1f us CPU/tick\n", us / n);
	return 0;
}
