/*
 * no-thp.so: preloaded (LD_PRELOAD) into QEMU for a restore whose memory file is served on
 * demand. It drops QEMU's madvise(MADV_HUGEPAGE) calls, which QEMU makes on every RAM block.
 *
 * Why: on a file mapping marked MADV_HUGEPAGE, the host kernel answers a page fault on a page
 * that is not in its page cache by reading the aligned 2 MiB around it and the 2 MiB after it
 * (two PMD-sized folios of readahead), whatever the file's readahead setting. A restored guest
 * touches a few hundred scattered pages after it resumes; each of those faults then made the
 * memory file's server read and send 2-4 MiB, three quarters of a hello guest's memory in all.
 * Without the advice a fault reads just the page (the served mount's readahead is 0), so the
 * reads are the guest's own working set. A clone maps its memory privately: its writes are
 * copy-on-write pages, which the advice would not make huge anyway.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <sys/mman.h>

int madvise(void *addr, size_t length, int advice) {
  static int (*real)(void *, size_t, int);
  if (advice == MADV_HUGEPAGE) {
    return 0;
  }
  if (real == NULL) {
    real = (int (*)(void *, size_t, int))dlsym(RTLD_NEXT, "madvise");
  }
  return real(addr, length, advice);
}
