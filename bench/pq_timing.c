/* pq_timing: times, from the client side, what one httvps CGI does with the database:
 * the connection (made exactly as tools/core/db.cpp makes it) and a sequence of named
 * queries from the files under sql/queries sent with PQexecParams, as the binaries send them.
 * Used by bench/profile_cgi.sh; not part of the product.
 *
 *   pq_timing MODE CONNINFO ITERATIONS APPLICATION QUERY_FILE... < STEPS
 *
 * MODE is "fresh" (a new connection for every iteration, as every CGI run makes) or
 * "reuse" (one connection for all iterations, as a pooled or resident process would
 * have; one untimed pass warms it first). STEPS holds one step a line: a query name, then its parameters, separated by
 * tabs; \N is NULL. Prints one line per phase (connect, each step, disconnect, total):
 * name, median, p90 and mean in microseconds, tab-separated. Exits 1 on any error. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_QUERIES 512
#define MAX_STEPS 64
#define MAX_PARAMS 16

struct query {
  char* name;
  char* text;
};
struct step {
  const struct query* q;
  int nparams;
  char* params[MAX_PARAMS];
};

static struct query queries[MAX_QUERIES];
static int nqueries;
static struct step steps[MAX_STEPS];
static int nsteps;

static void die(const char* what, const char* detail) {
  fprintf(stderr, "pq_timing: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(1);
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static char* read_file(const char* path) {
  FILE* f = fopen(path, "rb");
  if (!f) die("cannot open", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char* buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) die("cannot read", path);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* Trims trailing blanks, newlines and ';' from the query just read. */
static void finish_query(void) {
  if (nqueries == 0) return;
  char* t = queries[nqueries - 1].text;
  size_t n = strlen(t);
  while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == ';')) n--;
  t[n] = '\0';
}

/* The same split as all_queries() in tools/core/db.cpp: "-- name: X" starts query X, whose
 * text is every following line up to the next marker, trailing blanks and ';' removed. */
static void load_queries(const char* path) {
  char* text = read_file(path);
  size_t cap = strlen(text) + 1;
  char* line = text;
  int in_file = 0;
  while (line && *line) {
    char* nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    if (strncmp(line, "-- name:", 8) == 0) {
      if (in_file) finish_query();
      if (nqueries == MAX_QUERIES) die("too many queries", path);
      char* n = line + 8;
      while (*n == ' ') n++;
      size_t nlen = len - (size_t)(n - line);
      while (nlen > 0 && (n[nlen - 1] == ' ' || n[nlen - 1] == '\r')) nlen--;
      queries[nqueries].name = strndup(n, nlen);
      queries[nqueries].text = calloc(cap, 1);
      nqueries++;
      in_file = 1;
    } else if (in_file) {
      char* t = queries[nqueries - 1].text;
      strncat(t, line, len);
      strcat(t, "\n");
    }
    line = nl ? nl + 1 : NULL;
  }
  if (in_file) finish_query();
  free(text);
}

static const struct query* find_query(const char* name) {
  for (int i = 0; i < nqueries; i++) {
    if (strcmp(queries[i].name, name) == 0) return &queries[i];
  }
  die("no query named", name);
  return NULL;
}

static void read_steps(void) {
  char line[4096];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] == '\0' || line[0] == '#') continue;
    if (nsteps == MAX_STEPS) die("too many steps", NULL);
    struct step* s = &steps[nsteps++];
    char* save = NULL;
    char* tok = strtok_r(line, "\t", &save);
    s->q = find_query(tok);
    while ((tok = strtok_r(NULL, "\t", &save)) != NULL) {
      if (s->nparams == MAX_PARAMS) die("too many parameters", s->q->name);
      s->params[s->nparams++] = strcmp(tok, "\\N") == 0 ? NULL : strdup(tok);
    }
  }
  if (nsteps == 0) die("no steps on standard input", NULL);
}

static PGconn* connect_like_httvps(const char* conninfo, const char* application) {
  /* tools/core/db.cpp, Connection::open() with the default config. */
  const char* keywords[] = {"dbname", "connect_timeout", "application_name", "options", NULL};
  const char* values[] = {conninfo, "5", application, "-c TimeZone=UTC -c DateStyle=ISO -c statement_timeout=30000",
                          NULL};
  PGconn* c = PQconnectdbParams(keywords, values, 1);
  if (c == NULL || PQstatus(c) != CONNECTION_OK) die("cannot connect", c ? PQerrorMessage(c) : "out of memory");
  return c;
}

/* As Connection::exec() in tools/core/db.cpp: PQexecParams, text parameters, unnamed statement. */
static void run_step(PGconn* conn, const struct step* st) {
  PGresult* r = PQexecParams(conn, st->q->text, st->nparams, NULL, (const char* const*)st->params, NULL, NULL, 0);
  ExecStatusType status = PQresultStatus(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) die(st->q->name, PQresultErrorMessage(r));
  PQclear(r);
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static void report(const char* name, double* v, int n) {
  double sum = 0;
  for (int i = 0; i < n; i++) sum += v[i];
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  printf("%s\t%.0f\t%.0f\t%.0f\n", name, v[n / 2], v[(n * 9) / 10], sum / n);
}

int main(int argc, char** argv) {
  if (argc < 6) die("usage: pq_timing fresh|reuse CONNINFO ITERATIONS APPLICATION QUERY_FILE... < STEPS", NULL);
  int fresh = strcmp(argv[1], "fresh") == 0;
  if (!fresh && strcmp(argv[1], "reuse") != 0) die("MODE must be fresh or reuse", argv[1]);
  const char* conninfo = argv[2];
  int iterations = atoi(argv[3]);
  if (iterations < 1) die("ITERATIONS must be positive", argv[3]);
  const char* application = argv[4];
  for (int i = 5; i < argc; i++) load_queries(argv[i]);
  read_steps();

  double* t_connect = calloc((size_t)iterations, sizeof(double));
  double* t_finish = calloc((size_t)iterations, sizeof(double));
  double* t_total = calloc((size_t)iterations, sizeof(double));
  double* t_step[MAX_STEPS];
  for (int s = 0; s < nsteps; s++) t_step[s] = calloc((size_t)iterations, sizeof(double));

  PGconn* conn = NULL;
  if (!fresh) {
    /* One untimed pass first: "warm" means the backend's caches hold what the steps need. */
    conn = connect_like_httvps(conninfo, application);
    for (int s = 0; s < nsteps; s++) run_step(conn, &steps[s]);
  }
  for (int i = 0; i < iterations; i++) {
    double start = now_us(), t = start;
    if (fresh) {
      conn = connect_like_httvps(conninfo, application);
      double u = now_us();
      t_connect[i] = u - t;
      t = u;
    }
    for (int s = 0; s < nsteps; s++) {
      run_step(conn, &steps[s]);
      double u = now_us();
      t_step[s][i] = u - t;
      t = u;
    }
    if (fresh) {
      PQfinish(conn);
      double u = now_us();
      t_finish[i] = u - t;
      t = u;
    }
    t_total[i] = t - start;
  }
  if (!fresh) PQfinish(conn);

  if (fresh) report("connect", t_connect, iterations);
  for (int s = 0; s < nsteps; s++) report(steps[s].q->name, t_step[s], iterations);
  if (fresh) report("disconnect", t_finish, iterations);
  report("total", t_total, iterations);
  return 0;
}
