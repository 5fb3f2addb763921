/*
 * no-thp.so: preloaded (LD_PRELOAD) into QEMU for a restore whose memory file is served on
 * demand. It drops QEMU's madvise(MADV_HUGEPAGE) calls on file mappings: the guest RAM mapped
 * from that memory file. The advice on anonymous memory (TCG's buffer of translated code, above
 * all) is kept: huge pages there are worth about a tenth of a restore's time.
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
#include <stdio.h>
#include <sys/mman.h>

/* Whether addr lies in a mapping of a file (a non-zero inode in /proc/self/maps). */
static int file_mapping(void *addr) {
  unsigned long at = (unsigned long)addr;
  FILE *maps = fopen("/proc/self/maps", "r");
  if (maps == NULL) {
    return 1; /* cannot tell: drop the advice, as before */
  }
  char line[4096];
  int file = 0;
  while (fgets(line, sizeof line, maps) != NULL) {
    unsigned long start, end, inode;
    if (sscanf(line, "%lx-%lx %*s %*s %*s %lu", &start, &end, &inode) == 3 && at >= start &&
        at < end) {
      file = inode != 0;
      break;
    }
  }
  fclose(maps);
  return file;
}

int madvise(void *addr, size_t length, int advice) {
  static int (*real)(void *, size_t, int);
  if (advice == MADV_HUGEPAGE && file_mapping(addr)) {
    return 0;
  }
  if (real == NULL) {
    real = (int (*)(void *, size_t, int))dlsym(RTLD_NEXT, "madvise");
  }
  return real(addr, length, advice);
}
