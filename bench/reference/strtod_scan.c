/* Reference reader: read(2) in 1 MiB chunks, split lines with memchr, parse the numbers with
 * strtod, count and average. The fastest plain C way to get the same figures as `analyze`.
 * Usage: strtod_scan FILE */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1 << 20)

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) { perror(argv[1]); return 2; }
  static char buf[CHUNK + 1];
  size_t carry = 0;
  long n = 0;
  double cpu = 0, ram = 0;
  ssize_t got;
  while ((got = read(fd, buf + carry, CHUNK - carry)) > 0) {
    char *p = buf, *end = buf + carry + got, *nl;
    while ((nl = memchr(p, '\n', end - p)) != NULL) {
      *nl = 0;
      char *q;
      strtod(p, &q);
      if (*q == ',') {
        double c = strtod(q + 1, &q);
        if (*q == ',') {
          double r = strtod(q + 1, &q);
          cpu += c;
          ram += r;
          n++;
        }
      }
      p = nl + 1;
    }
    carry = end - p;
    memmove(buf, p, carry);
  }
  printf("%ld %.6f %.6f\n", n, n ? cpu / n : 0, n ? ram / n : 0);
  return 0;
}
