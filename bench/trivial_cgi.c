/* trivial_cgi: the floor for any CGI behind nginx + fcgiwrap. It does what every httvps
 * CGI must do at the least (be forked and exec'd, read its environment, write a status,
 * a JSON content type and a body) and nothing else: libc only, no database.
 *
 * bench/cgi.sh compiles it with `cc -O2` and serves it through its own fcgiwrap;
 * bench/profile_cgi.sh also times it as a plain process (with --version, like the
 * httvps binaries). Built with -DWITH_LIBPQ it also links libpq and calls it once, so
 * that the cost of loading libpq and the libraries it pulls in shows on its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef WITH_LIBPQ
#include <libpq-fe.h>
#endif

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
#ifdef WITH_LIBPQ
    printf("trivial_cgi (libpq %d)\n", PQlibVersion());
#else
    puts("trivial_cgi");
#endif
    return 0;
  }
  const char* method = getenv("REQUEST_METHOD");
  fputs("Status: 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n\r\n", stdout);
  printf("{\"ok\":true,\"method\":\"%s\"}\n", method != NULL && strcmp(method, "POST") == 0 ? "POST" : "GET");
  return fflush(stdout) == 0 ? 0 : 1;
}
