/*
 * corral's optional native helpers (N-API, plain C). Everything here has a pure-TypeScript
 * twin that is used when this addon is not built; both must produce the same bytes.
 *
 *   setPipeSize(fd, bytes)        F_SETPIPE_SZ (beyond /proc/sys/fs/pipe-max-size only for root)
 *   createPipe(bytes)             pipe2(O_CLOEXEC) + setPipeSize: [readFd, writeFd]
 *   unixDgramConnect(path)        a non-blocking AF_UNIX datagram socket connected to path: fd or -errno
 *   dgramSend(fd, buf)            send(2) of one datagram: bytes sent or -errno (EAGAIN: receiver full)
 *   dgramSendMemfd(fd, buf)       buf in a sealed memfd, passed with SCM_RIGHTS on an empty datagram
 *                                 (the journal's way for entries too large for one): 0 or -errno
 *   waitWritable(fd, ms)          poll(POLLOUT) on the libuv thread pool: a Promise of 1 (writable),
 *                                 0 (timed out) or -errno; a full datagram receiver wakes it when it reads
 *   escape(src, a, b, out, pos)   Docker's json-file escaping of src[a,b) into out at pos
 *   encodeLines(src, a, b, out, pos, prefix, suffix, ends, at)
 *                                 one entry per '\n'-separated line of src[a,b)
 *   newlines(src, a, b, pos)      offsets of the '\n' bytes in src[a,b), into an Int32Array
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031
#endif
#ifndef F_GETPIPE_SZ
#define F_GETPIPE_SZ 1032
#endif

/* ---------- escaping (mirrors drivers/json-file/escape.ts) ---------- */

/* 0: copy as is; 1: ASCII that needs escaping; 2: byte >= 0x80 (check UTF-8). */
static uint8_t CLASS[256];
static const char HEX[] = "0123456789abcdef";

static void init_tables(void) {
  for (int b = 0; b < 256; b++) {
    if (b >= 0x80) CLASS[b] = 2;
    else if (b < 0x20 || b == '"' || b == '\\' || b == '<' || b == '>' || b == '&') CLASS[b] = 1;
    else CLASS[b] = 0;
  }
}

/* Length of a valid UTF-8 sequence at s (2-4), or 0 (Go's utf8.DecodeRune: RuneError, 1). */
static inline size_t utf8_len(const uint8_t *s, const uint8_t *end) {
  uint8_t b0 = s[0];
  if (b0 < 0xc2 || b0 > 0xf4) return 0;
  size_t left = (size_t)(end - s);
  if (b0 < 0xe0) return left >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
  if (b0 < 0xf0) {
    uint8_t lo = b0 == 0xe0 ? 0xa0 : 0x80, hi = b0 == 0xed ? 0x9f : 0xbf; /* no overlongs, no surrogates */
    return left >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
  }
  uint8_t lo = b0 == 0xf0 ? 0x90 : 0x80, hi = b0 == 0xf4 ? 0x8f : 0xbf; /* nothing above U+10FFFF */
  return left >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
}

/*
 * First byte in [p, end) that is not plain printable ASCII (escape class != 0), '\n' included;
 * end when there is none. Sixteen bytes at a time where SSE2 is there.
 */
static inline const uint8_t *next_special(const uint8_t *p, const uint8_t *end) {
#if defined(__SSE2__)
  const __m128i lim = _mm_set1_epi8(0x20), q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'),
                lt = _mm_set1_epi8('<'), gt = _mm_set1_epi8('>'), amp = _mm_set1_epi8('&');
  while (end - p >= 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)p);
    /* Signed compare: bytes >= 0x80 are negative, so this also catches non-ASCII. */
    __m128i m = _mm_cmplt_epi8(x, lim);
    m = _mm_or_si128(m, _mm_cmpeq_epi8(x, q));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(x, bs));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(x, lt));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(x, gt));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(x, amp));
    int bits = _mm_movemask_epi8(m);
    if (bits) return p + __builtin_ctz((unsigned)bits);
    p += 16;
  }
#endif
  while (p < end && CLASS[*p] == 0) p++;
  return p;
}

/*
 * Escapes [s, end) into o. When stop_at_newline, stops at the first '\n' (not written) and
 * returns its address through *stopped (end when none). Returns the new output position.
 */
static inline uint8_t *escape_span(const uint8_t *s, const uint8_t *end, uint8_t *o, int stop_at_newline,
                                   const uint8_t **stopped) {
  for (;;) {
    const uint8_t *p = next_special(s, end);
    size_t n = (size_t)(p - s);
    memcpy(o, s, n);
    o += n;
    if (p == end) { *stopped = end; return o; }
    uint8_t b = *p;
    if (b < 0x80) {
      if (b == '\n' && stop_at_newline) { *stopped = p; return o; }
      *o++ = '\\';
      switch (b) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        default: *o++ = 'u'; *o++ = '0'; *o++ = '0'; *o++ = HEX[b >> 4]; *o++ = HEX[b & 15];
      }
      s = p + 1;
      continue;
    }
    size_t len = utf8_len(p, end);
    if (len == 0) {
      memcpy(o, "\\ufffd", 6);
      o += 6;
      s = p + 1;
    } else if (len == 3 && b == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
      memcpy(o, p[2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
      o += 6;
      s = p + 3;
    } else {
      memcpy(o, p, len);
      o += len;
      s = p + len;
    }
  }
}

/* ---------- N-API glue ---------- */

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "corral native: " #call); return NULL; } } while (0)

static napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool ok = false;
  if (napi_is_buffer(env, v, &ok) == napi_ok && ok) {
    void *d;
    if (napi_get_buffer_info(env, v, &d, len) != napi_ok) return 0;
    *data = d;
    return 1;
  }
  if (napi_is_typedarray(env, v, &ok) == napi_ok && ok) {
    napi_typedarray_type t;
    void *d;
    if (napi_get_typedarray_info(env, v, &t, len, &d, NULL, NULL) != napi_ok || t != napi_uint8_array) return 0;
    *data = d;
    return 1;
  }
  return 0;
}

static int get_int(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

/*
 * F_SETPIPE_SZ to want: the pipe's new size, or -errno (EBADF: not a pipe). Root (CAP_SYS_RESOURCE)
 * may exceed /proc/sys/fs/pipe-max-size; anyone else gets at most that.
 */
static int set_pipe_size(int fd, int64_t want) {
  if (want > INT32_MAX) want = INT32_MAX;
  if (fcntl(fd, F_SETPIPE_SZ, (int)want) < 0) {
    if (errno != EPERM) return -errno;
    FILE *f = fopen("/proc/sys/fs/pipe-max-size", "re");
    long long max = 0;
    if (f) {
      if (fscanf(f, "%lld", &max) != 1) max = 0;
      fclose(f);
    }
    if (max <= 0 || max >= want || fcntl(fd, F_SETPIPE_SZ, (int)max) < 0) return -EPERM;
  }
  int now = fcntl(fd, F_GETPIPE_SZ);
  return now < 0 ? -errno : now;
}

/* setPipeSize(fd, bytes) -> the pipe's new size, or -errno. */
static napi_value SetPipeSize(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int64_t fd, want;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !get_int(env, argv[0], &fd) || !get_int(env, argv[1], &want)) {
    napi_throw_type_error(env, NULL, "setPipeSize(fd, bytes)");
    return NULL;
  }
  return num(env, set_pipe_size((int)fd, want));
}

/*
 * createPipe(bytes) -> [readFd, writeFd], both close-on-exec, sized like setPipeSize (best
 * effort: a refused size keeps the default). Throws on pipe2 failure.
 */
static napi_value CreatePipe(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], arr, v;
  int64_t want = 0;
  int fds[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc >= 1 && !get_int(env, argv[0], &want)) {
    napi_throw_type_error(env, NULL, "createPipe(bytes)");
    return NULL;
  }
  if (pipe2(fds, O_CLOEXEC) < 0) {
    char msg[96];
    snprintf(msg, sizeof msg, "pipe2: %s", strerror(errno));
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  if (want > 0) set_pipe_size(fds[1], want);
  CHECK(napi_create_array_with_length(env, 2, &arr));
  for (uint32_t i = 0; i < 2; i++) {
    CHECK(napi_create_int32(env, fds[i], &v));
    CHECK(napi_set_element(env, arr, i, v));
  }
  return arr;
}

/* unixDgramConnect(path) -> fd, or -errno. Node has no unix datagram sockets (syslog's /dev/log). */
static napi_value UnixDgramConnect(napi_env env, napi_callback_info info) {
  size_t argc = 1, len = 0;
  napi_value argv[1], result;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], addr.sun_path, sizeof addr.sun_path, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "unixDgramConnect(path)");
    return NULL;
  }
  int rc;
  if (len >= sizeof addr.sun_path - 1) rc = -ENAMETOOLONG;
  else {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) rc = -errno;
    else if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { rc = -errno; close(fd); }
    else rc = fd;
  }
  CHECK(napi_create_int32(env, rc, &result));
  return result;
}

/* The (fd, buffer) arguments of the datagram sends; throws a TypeError showing usage when they are not. */
static int fd_and_buffer(napi_env env, napi_callback_info info, const char *usage, int64_t *fd, void **data, size_t *n) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || !get_int(env, argv[0], fd) ||
      napi_get_buffer_info(env, argv[1], data, n) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return 1;
}

/* dgramSend(fd, buf) -> bytes sent, or -errno. */
static napi_value DgramSend(napi_env env, napi_callback_info info) {
  size_t n = 0;
  napi_value result;
  int64_t fd;
  void *data;
  if (!fd_and_buffer(env, info, "dgramSend(fd, buffer)", &fd, &data, &n)) return NULL;
  ssize_t sent = send((int)fd, data, n, MSG_DONTWAIT | MSG_NOSIGNAL);
  CHECK(napi_create_int64(env, sent < 0 ? -errno : sent, &result));
  return result;
}

/* dgramSendMemfd(fd, buf) -> 0, or -errno. journald reads the entry from the sealed memfd. */
static napi_value DgramSendMemfd(napi_env env, napi_callback_info info) {
  size_t n = 0;
  napi_value result;
  int64_t fd;
  void *data;
  if (!fd_and_buffer(env, info, "dgramSendMemfd(fd, buffer)", &fd, &data, &n)) return NULL;
  int rc = 0;
  int mfd = memfd_create("corral-journal-entry", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) rc = -errno;
  for (size_t done = 0; rc == 0 && done < n;) {
    ssize_t w = write(mfd, (const char *)data + done, n - done);
    if (w < 0 && errno != EINTR) rc = -errno;
    else if (w > 0) done += (size_t)w;
  }
  if (rc == 0 && fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) rc = -errno;
  if (rc == 0) {
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_control = control.buf;
    mh.msg_controllen = sizeof control.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &mfd, sizeof(int));
    if (sendmsg((int)fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) rc = -errno;
  }
  if (mfd >= 0) close(mfd);
  CHECK(napi_create_int32(env, rc, &result));
  return result;
}

/* waitWritable(fd, ms): the wait runs on the thread pool, so the event loop never blocks on it. */
typedef struct {
  int fd, ms, rc;
  napi_deferred deferred;
  napi_async_work work;
} WaitReq;

static void WaitExecute(napi_env env, void *data) {
  WaitReq *r = data;
  struct pollfd p = { .fd = r->fd, .events = POLLOUT, .revents = 0 };
  int n;
  do n = poll(&p, 1, r->ms); while (n < 0 && errno == EINTR);
  if (n < 0) r->rc = -errno;
  else if (n == 0) r->rc = 0;
  else if (p.revents & POLLOUT) r->rc = 1;
  else r->rc = (p.revents & POLLNVAL) ? -EBADF : -EPIPE;
}

static void WaitComplete(napi_env env, napi_status status, void *data) {
  WaitReq *r = data;
  napi_value v;
  if (napi_create_int32(env, status == napi_ok ? r->rc : -EINTR, &v) == napi_ok) napi_resolve_deferred(env, r->deferred, v);
  napi_delete_async_work(env, r->work);
  free(r);
}

static napi_value WaitWritable(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], promise, name;
  int64_t fd, ms;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !get_int(env, argv[0], &fd) || !get_int(env, argv[1], &ms) || fd < 0 || ms < 0 || ms > 60000) {
    napi_throw_type_error(env, NULL, "waitWritable(fd, ms): ms in 0..60000");
    return NULL;
  }
  WaitReq *r = calloc(1, sizeof *r);
  if (!r) {
    napi_throw_error(env, NULL, "waitWritable: out of memory");
    return NULL;
  }
  r->fd = (int)fd;
  r->ms = (int)ms;
  CHECK(napi_create_promise(env, &r->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "corral.waitWritable", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, WaitExecute, WaitComplete, r, &r->work));
  CHECK(napi_queue_async_work(env, r->work));
  return promise;
}

/* escape(src, a, b, out, pos) -> new pos, or -1 when out may be too small. */
static napi_value Escape(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint8_t *src, *out;
  size_t srcLen, outLen;
  int64_t a, b, pos;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5 || !get_bytes(env, argv[0], &src, &srcLen) || !get_int(env, argv[1], &a) || !get_int(env, argv[2], &b) ||
      !get_bytes(env, argv[3], &out, &outLen) || !get_int(env, argv[4], &pos)) {
    napi_throw_type_error(env, NULL, "escape(src, start, end, out, pos)");
    return NULL;
  }
  if (a < 0 || b < a || (size_t)b > srcLen || pos < 0 || (size_t)pos > outLen) {
    napi_throw_range_error(env, NULL, "escape: range out of bounds");
    return NULL;
  }
  if ((size_t)(b - a) * 6 > outLen - (size_t)pos) return num(env, -1);
  const uint8_t *stopped;
  uint8_t *o = escape_span(src + a, src + b, out + pos, 0, &stopped);
  return num(env, (double)(o - out));
}

/*
 * encodeLines(src, a, b, out, pos, prefix, suffix, ends, at) -> lines written.
 * Each '\n'-separated line of src[a,b) (the last one ends at b) becomes prefix + escaped
 * line + suffix; ends[at + k] receives the output offset after entry k. Returns -1 (having
 * written nothing that matters) when out or ends may be too small.
 */
static napi_value EncodeLines(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  uint8_t *src, *out, *pre, *suf;
  size_t srcLen, outLen, preLen, sufLen, endsLen;
  int64_t a, b, pos, at;
  napi_typedarray_type t;
  void *endsData;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 9 || !get_bytes(env, argv[0], &src, &srcLen) || !get_int(env, argv[1], &a) || !get_int(env, argv[2], &b) ||
      !get_bytes(env, argv[3], &out, &outLen) || !get_int(env, argv[4], &pos) || !get_bytes(env, argv[5], &pre, &preLen) ||
      !get_bytes(env, argv[6], &suf, &sufLen) ||
      napi_get_typedarray_info(env, argv[7], &t, &endsLen, &endsData, NULL, NULL) != napi_ok || t != napi_int32_array ||
      !get_int(env, argv[8], &at)) {
    napi_throw_type_error(env, NULL, "encodeLines(src, start, end, out, pos, prefix, suffix, ends, at)");
    return NULL;
  }
  if (a < 0 || b < a || (size_t)b > srcLen || pos < 0 || (size_t)pos > outLen || at < 0 || (size_t)at > endsLen) {
    napi_throw_range_error(env, NULL, "encodeLines: range out of bounds");
    return NULL;
  }
  int32_t *ends = endsData;
  const uint8_t *s = src + a, *end = src + b;
  uint8_t *o = out + pos, *oend = out + outLen;
  int64_t k = at;
  for (;;) {
    /* Room for the worst case of the rest, checked once per line: cheap and exact enough. */
    if ((size_t)(oend - o) < preLen + (size_t)(end - s) * 6 + sufLen || (size_t)k >= endsLen) return num(env, -1);
    memcpy(o, pre, preLen);
    o += preLen;
    const uint8_t *stopped;
    o = escape_span(s, end, o, 1, &stopped);
    memcpy(o, suf, sufLen);
    o += sufLen;
    ends[k++] = (int32_t)(o - out);
    if (stopped == end) break;
    s = stopped + 1;
  }
  return num(env, (double)(k - at));
}

/* newlines(src, a, b, pos: Int32Array) -> count; pos gets the offsets (stops when full). */
static napi_value Newlines(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint8_t *src;
  size_t srcLen, posLen;
  int64_t a, b;
  napi_typedarray_type t;
  void *posData;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4 || !get_bytes(env, argv[0], &src, &srcLen) || !get_int(env, argv[1], &a) || !get_int(env, argv[2], &b) ||
      napi_get_typedarray_info(env, argv[3], &t, &posLen, &posData, NULL, NULL) != napi_ok || t != napi_int32_array) {
    napi_throw_type_error(env, NULL, "newlines(src, start, end, positions)");
    return NULL;
  }
  if (a < 0 || b < a || (size_t)b > srcLen) {
    napi_throw_range_error(env, NULL, "newlines: range out of bounds");
    return NULL;
  }
  int32_t *p = posData;
  size_t n = 0;
  const uint8_t *s = src + a, *end = src + b;
  while (n < posLen) {
    const uint8_t *nl = memchr(s, '\n', (size_t)(end - s));
    if (!nl) break;
    p[n++] = (int32_t)(nl - src);
    s = nl + 1;
  }
  return num(env, (double)n);
}

static napi_value Init(napi_env env, napi_value exports) {
  init_tables();
  napi_property_descriptor props[] = {
    { "setPipeSize", NULL, SetPipeSize, NULL, NULL, NULL, napi_enumerable, NULL },
    { "createPipe", NULL, CreatePipe, NULL, NULL, NULL, napi_enumerable, NULL },
    { "unixDgramConnect", NULL, UnixDgramConnect, NULL, NULL, NULL, napi_enumerable, NULL },
    { "dgramSend", NULL, DgramSend, NULL, NULL, NULL, napi_enumerable, NULL },
    { "dgramSendMemfd", NULL, DgramSendMemfd, NULL, NULL, NULL, napi_enumerable, NULL },
    { "waitWritable", NULL, WaitWritable, NULL, NULL, NULL, napi_enumerable, NULL },
    { "escape", NULL, Escape, NULL, NULL, NULL, napi_enumerable, NULL },
    { "encodeLines", NULL, EncodeLines, NULL, NULL, NULL, napi_enumerable, NULL },
    { "newlines", NULL, Newlines, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
