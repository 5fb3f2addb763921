/*
 * tsc-khz: prints this host's TSC frequency in kHz.
 *
 * Under TCG the guest's TSC runs at the host's rate. Passing it to the guest kernel as
 * tsc_early_khz spares the kernel its TSC calibration against the emulated PIT, which fails
 * when the vCPU thread is descheduled during the calibration window (a busy host): the kernel
 * then marks the TSC unstable and waits for a delay-loop calibration that never finishes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

static int cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int main(void) {
  uint64_t khz[7];
  for (int i = 0; i < 7; i++) {
    struct timespec t0, t1, pause = {0, 50 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC_RAW, &t0);
    uint64_t c0 = __rdtsc();
    nanosleep(&pause, NULL);
    uint64_t c1 = __rdtsc();
    clock_gettime(CLOCK_MONOTONIC_RAW, &t1);
    double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    khz[i] = (uint64_t)((c1 - c0) / ns * 1e6);
  }
  qsort(khz, 7, sizeof khz[0], cmp);
  printf("%llu\n", (unsigned long long)khz[3]);
  return 0;
}
