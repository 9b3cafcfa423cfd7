/* bench/tunnel/pingpong.c: the echo server and the latency, open-time and idle-stream
 * probes of bench/tunnel.sh. Every address is 127.0.0.1; every blocking call has a 10 s
 * timeout, so a broken tunnel fails the probe instead of hanging it.
 *
 *   pingpong serve PORT          echo server (epoll, one thread) until killed
 *   pingpong rtt PORT COUNT SIZE one connection, COUNT round trips of SIZE bytes after
 *                                COUNT/10 warm-up ones; prints "median p99 mean" in µs
 *   pingpong open PORT COUNT     COUNT times: connect, send 1 byte, read its echo, close;
 *                                prints "median p99 mean" in µs
 *   pingpong hold PORT N         opens N connections, each proven by a 1-byte echo, prints
 *                                "ready N", then keeps them idle until stdin closes
 *
 * Build: cc -O2 -o pingpong pingpong.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void fail(const char* what) {
  fprintf(stderr, "pingpong: %s: %s\n", what, errno ? strerror(errno) : "failed");
  exit(1);
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int port_of(const char* s) {
  char* end;
  long p = strtol(s, &end, 10);
  if (*end || p < 1 || p > 65535) {
    fprintf(stderr, "pingpong: bad port '%s'\n", s);
    exit(2);
  }
  return (int)p;
}

static long count_of(const char* s) {
  char* end;
  long n = strtol(s, &end, 10);
  if (*end || n < 1 || n > 10000000) {
    fprintf(stderr, "pingpong: bad count '%s'\n", s);
    exit(2);
  }
  return n;
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static int dial(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval tv = {10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in a = loopback(port);
  if (connect(fd, (struct sockaddr*)&a, sizeof a) < 0) fail("connect");
  return fd;
}

static void send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail("send");
    p += w;
    n -= (size_t)w;
  }
}

static void recv_all(int fd, char* p, size_t n) {
  while (n > 0) {
    ssize_t r = recv(fd, p, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      errno = 0;
      fail("recv: the connection closed before the echo came back");
    }
    if (r < 0) fail(errno == EAGAIN ? "recv: no echo within 10 s" : "recv");
    p += r;
    n -= (size_t)r;
  }
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static void report(double* t, long n) {
  double sum = 0;
  for (long i = 0; i < n; i++) sum += t[i];
  qsort(t, (size_t)n, sizeof t[0], cmp_double);
  long p99 = (long)((double)n * 0.99);
  if (p99 >= n) p99 = n - 1;
  printf("%.1f %.1f %.1f\n", t[n / 2], t[p99], sum / (double)n);
}

static void raise_nofile(void) {
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

/* Writes all of p to a non-blocking socket, waiting (up to 10 s) when its buffer is full. */
static int write_nb(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && errno == EAGAIN) {
      struct pollfd pf = {fd, POLLOUT, 0};
      if (poll(&pf, 1, 10000) <= 0) return -1;
    } else {
      return -1;
    }
  }
  return 0;
}

static _Noreturn void serve(int port) {
  raise_nofile();
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (ls < 0) fail("socket");
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = loopback(port);
  if (bind(ls, (struct sockaddr*)&a, sizeof a) < 0) fail("bind");
  if (listen(ls, 4096) < 0) fail("listen");
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) fail("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) < 0) fail("epoll_ctl");
  static char buf[65536];
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == ls) {
        for (;;) {
          int c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
          if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) < 0) close(c);
        }
        continue;
      }
      for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r > 0) {
          if (write_nb(fd, buf, (size_t)r) < 0) {
            close(fd);
            break;
          }
          continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) break;
        close(fd); /* EOF or error; closing removes it from the epoll set */
        break;
      }
    }
  }
}

static int rtt(int port, long count, long size) {
  char* out = malloc((size_t)size);
  char* in = malloc((size_t)size);
  double* t = malloc(sizeof(double) * (size_t)count);
  if (!out || !in || !t) fail("malloc");
  memset(out, 'p', (size_t)size);
  int fd = dial(port);
  for (long i = 0; i < count / 10 + 1; i++) { /* warm-up: not timed */
    send_all(fd, out, (size_t)size);
    recv_all(fd, in, (size_t)size);
  }
  for (long i = 0; i < count; i++) {
    double a = now_us();
    send_all(fd, out, (size_t)size);
    recv_all(fd, in, (size_t)size);
    t[i] = now_us() - a;
  }
  if (memcmp(in, out, (size_t)size) != 0) {
    errno = 0;
    fail("the echo differs from what was sent");
  }
  close(fd);
  report(t, count);
  return 0;
}

static int open_time(int port, long count) {
  double* t = malloc(sizeof(double) * (size_t)count);
  if (!t) fail("malloc");
  char c = 'o', e = 0;
  for (long i = 0; i < count; i++) {
    double a = now_us();
    int fd = dial(port);
    send_all(fd, &c, 1);
    recv_all(fd, &e, 1);
    t[i] = now_us() - a;
    close(fd);
  }
  report(t, count);
  return 0;
}

static int hold(int port, long n) {
  raise_nofile();
  int* fds = malloc(sizeof(int) * (size_t)n);
  if (!fds) fail("malloc");
  char c = 'h', e = 0;
  for (long i = 0; i < n; i++) {
    fds[i] = dial(port);
    send_all(fds[i], &c, 1);
    recv_all(fds[i], &e, 1);
  }
  printf("ready %ld\n", n);
  fflush(stdout);
  char buf[256];
  while (read(0, buf, sizeof buf) > 0) {
  }
  for (long i = 0; i < n; i++) close(fds[i]);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "serve") == 0) serve(port_of(argv[2]));
  if (argc == 5 && strcmp(argv[1], "rtt") == 0)
    return rtt(port_of(argv[2]), count_of(argv[3]), count_of(argv[4]));
  if (argc == 4 && strcmp(argv[1], "open") == 0) return open_time(port_of(argv[2]), count_of(argv[3]));
  if (argc == 4 && strcmp(argv[1], "hold") == 0) return hold(port_of(argv[2]), count_of(argv[3]));
  fprintf(stderr,
          "usage: pingpong serve PORT | rtt PORT COUNT SIZE | open PORT COUNT | hold PORT N\n");
  return 2;
}
