/*
 * origin-synthetic: a library of N generated tracks with no files behind it, for benchmarks and
 * scale tests (like fio's null engine). Every name, tag, size and byte is a pure function of the
 * configuration, so two runs with the same options see the same library, and nothing is stored:
 * listing a directory costs O(its entries), whatever the library's size.
 *
 * Configuration (all optional; integers, sizes may end in K, M or G = 1024-based):
 *   tracks            = 1000       number of tracks (at most 10^9)
 *   seed              = 0          changes every generated name, tag, size and byte
 *   albums_per_artist = 10         albums per artist directory
 *   tracks_per_album  = 12         tracks per album directory
 *   size_mean         = 30000000   mean file size in bytes; sizes are spread uniformly over
 *                                  [0.5, 1.5) x size_mean and are at least 32 KiB
 *   mtime             = 1700000000 seconds since the epoch of the oldest file (directories
 *                                  take this time; track k is k seconds younger)
 *
 * Layout: `Artist 0001/Album 0003/07.flac` (numbers from 1, zero-padded to at least 4 digits
 * for artists and albums and 2 for tracks; the last artist and album may be partial). Track g
 * (0-based, in path order) is album g / tracks_per_album, artist g / (albums_per_artist *
 * tracks_per_album).
 *
 * Content: each file is a FLAC file as far as a tag reader is concerned: "fLaC", a STREAMINFO
 * block (44.1 kHz, 16 bit, stereo, a length that matches the size at ~900 kb/s), a
 * VORBIS_COMMENT block (TITLE, ARTIST, ALBUMARTIST, ALBUM, TRACKNUMBER, TRACKTOTAL, DISCNUMBER,
 * DISCTOTAL, DATE, GENRE and MusicBrainz ids) and 8 KiB of PADDING as the flac tool writes it,
 * then deterministic pseudo-random filler up to the size (not decodable audio). Titles, album
 * and artist names are made of words and are unique in the library (so `--template '$title'`
 * gives one directory with every track); every 7th track has a featured artist in ARTIST.
 */
#include <musicfs/musicfs.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLUGIN_ID "org.musicfs.origin.synthetic"

#define FILLER_SIZE (256u * 1024u) /* distinct filler bytes, reused at a per-track rotation */
#define MIN_SIZE (32u * 1024u)     /* larger than any generated header */
#define PADDING_SIZE 8192u         /* what `flac` writes by default */
#define HEADER_MAX 12288u          /* bound on fLaC + STREAMINFO + VORBIS_COMMENT + PADDING */
#define KBPS 900u                  /* nominal bit rate, for the duration in STREAMINFO */

static const mfs_host_t* g_host;

struct mfs_origin {
    uint64_t tracks;
    uint64_t seed;
    uint64_t albums_per_artist;
    uint64_t tracks_per_album;
    uint64_t size_mean;
    int64_t mtime_ns;
    uint64_t per_artist; /* tracks per full artist */
    uint64_t artists;
    int artist_width, album_width, track_width;
    unsigned char* filler; /* FILLER_SIZE bytes */
};

struct mfs_origin_file {
    const struct mfs_origin* origin;
    uint64_t size;
    uint64_t rotation; /* where this track starts in the filler */
    uint32_t header_len;
    unsigned char header[]; /* header_len bytes */
};

static void logf_(int32_t level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(int32_t level, const char* fmt, ...) {
    if (!g_host || !g_host->log) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    g_host->log(g_host->ctx, level, PLUGIN_ID, buf);
}

/* ------------------------------------------------------------------------------------------ */
/* Deterministic numbers and words */

static uint64_t mix(uint64_t x) { /* splitmix64's finaliser */
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t hash2(const struct mfs_origin* o, uint64_t kind, uint64_t index) {
    return mix(o->seed ^ mix(kind * 0x100000001B3ull ^ mix(index)));
}

static const char* const kAdjectives[64] = {
    "Velvet", "Silver", "Hollow", "Crimson", "Quiet",   "Electric", "Golden",  "Broken",
    "Distant", "Neon",  "Paper",  "Wild",    "Frozen",  "Burning",  "Secret",  "Lonely",
    "Amber",  "Glass",  "Iron",   "Midnight", "Scarlet", "Northern", "Tender", "Restless",
    "Faded",  "Bright", "Hidden", "Empty",   "Sleeping", "Wandering", "Violet", "Cosmic",
    "Rusty",  "Gentle", "Lost",   "Sacred",  "Dusty",   "Endless",  "Fragile", "Howling",
    "Ivory",  "Jade",   "Lunar",  "Marble",  "Obsidian", "Pale",    "Radiant", "Savage",
    "Solar",  "Stone",  "Sunken", "Tidal",   "Urban",   "Vacant",   "Winter",  "Young",
    "Azure",  "Bitter", "Copper", "Drifting", "Emerald", "Falling", "Grey",    "Hazy"};

static const char* const kNouns[64] = {
    "Harbor",  "Engines", "Lanterns", "Rivers",  "Echoes",  "Sparrows", "Machines", "Tides",
    "Wolves",  "Mirrors", "Satellites", "Gardens", "Ghosts", "Horizons", "Canyons", "Signals",
    "Embers",  "Orchards", "Comets",  "Islands", "Shadows", "Voices",   "Valleys",  "Lights",
    "Oceans",  "Ravens",  "Cities",   "Dreams",  "Stations", "Forests", "Bridges",  "Storms",
    "Hearts",  "Roads",   "Towers",   "Waves",   "Deserts", "Flowers",  "Kings",    "Saints",
    "Pilots",  "Tigers",  "Angels",   "Winds",   "Planets", "Sirens",   "Arrows",   "Crowns",
    "Meadows", "Rooms",   "Parades",  "Summers", "Houses",  "Letters",  "Fires",    "Stars",
    "Clouds",  "Doors",   "Islands",  "Windows", "Trains",  "Skies",    "Hands",    "Ashes"};

static const char* const kTitleWords[64] = {
    "Love",  "Night", "Rain",   "Home",  "Light", "Fire",  "Heart", "Dream", "Road",  "Sky",
    "Time",  "Sea",   "Blue",   "Gold",  "Moon",  "Sun",   "Star",  "Song",  "Dance", "River",
    "Smoke", "Glass", "Winter", "Fall",  "Run",   "Stay",  "Wait",  "Ghost", "Echo",  "Wire",
    "Morning", "Shadow", "Silence", "Thunder", "Highway", "Paper", "Mirror", "Ocean", "Garden",
    "Letter", "Window", "Storm", "Fever", "Signal", "Summer", "Tonight", "Forever", "Again",
    "Under", "Over",  "Between", "Without", "Inside", "Alone", "Slow", "Down", "Away", "Back",
    "Higher", "Static", "Neon", "Velvet", "Hollow", "Golden"};

static const char* const kGenres[] = {
    "Rock", "Pop", "Jazz", "Electronic", "Hip-Hop", "Classical", "Folk", "Metal",
    "Indie", "Soul", "Blues", "Ambient", "Post-Rock", "Synthwave", "Country", "Reggae"};

/* Writes entity `index` of `count` as words. The index is scrambled by a bijection of
 * [0, 64^k) (multiplying by an odd number and XOR-ing a salt, modulo a power of two), then
 * written as k base-64 digits, one word each: names are unique among the `count` entities, and
 * neighbours do not share words. */
static void words(char* out, size_t n, uint64_t index, uint64_t count, uint64_t salt,
                  const char* const* first, const char* const* rest) {
    unsigned k = 2;
    while (k < 10 && count > (1ull << (6 * k))) ++k;
    const uint64_t mask = (1ull << (6 * k)) - 1;
    uint64_t x = ((index * 0x9E3779B97F4A7C15ull) ^ salt) & mask;
    size_t at = 0;
    out[0] = '\0';
    for (unsigned w = 0; w < k; ++w) {
        const char* word = (w == 0 ? first : rest)[x % 64];
        x /= 64;
        const int len = snprintf(out + at, n - at, "%s%s", w ? " " : "", word);
        if (len < 0 || (size_t)len >= n - at) break;
        at += (size_t)len;
    }
}

static void artist_name(const struct mfs_origin* o, uint64_t artist, char* out, size_t n) {
    words(out, n, artist, o->artists, mix(o->seed ^ 1), kAdjectives, kNouns);
}

static int digits(uint64_t v) {
    int d = 1;
    while (v >= 10) {
        v /= 10;
        ++d;
    }
    return d;
}

static int max_int(int a, int b) { return a > b ? a : b; }

/* ------------------------------------------------------------------------------------------ */
/* The layout */

static uint64_t tracks_of_artist(const struct mfs_origin* o, uint64_t artist) {
    const uint64_t first = artist * o->per_artist;
    const uint64_t left = o->tracks - first;
    return left < o->per_artist ? left : o->per_artist;
}

static uint64_t albums_of_artist(const struct mfs_origin* o, uint64_t artist) {
    return (tracks_of_artist(o, artist) + o->tracks_per_album - 1) / o->tracks_per_album;
}

/* Tracks in the album with global index `album`. */
static uint64_t tracks_of_album(const struct mfs_origin* o, uint64_t album) {
    const uint64_t first = album * o->tracks_per_album;
    const uint64_t left = o->tracks - first;
    return left < o->tracks_per_album ? left : o->tracks_per_album;
}

static uint64_t track_size(const struct mfs_origin* o, uint64_t g) {
    /* 53 random bits as a fraction in [0, 1). */
    const double u = (double)(hash2(o, 1, g) >> 11) * (1.0 / 9007199254740992.0);
    uint64_t size = (uint64_t)((double)o->size_mean * (0.5 + u));
    return size < MIN_SIZE ? MIN_SIZE : size;
}

static int64_t track_mtime(const struct mfs_origin* o, uint64_t g) {
    return o->mtime_ns + (int64_t)g * 1000000000;
}

/* Parses "<prefix><number of exactly `width` digits or more, no leading zero beyond width>"
 * into a 0-based index below `limit`; -1 when the name is not one this origin generates. */
static int64_t parse_name(const char* s, size_t len, const char* prefix, const char* suffix,
                          int width, uint64_t limit) {
    const size_t pl = strlen(prefix), sl = strlen(suffix);
    if (len <= pl + sl || memcmp(s, prefix, pl) != 0 || memcmp(s + len - sl, suffix, sl) != 0)
        return -1;
    uint64_t v = 0;
    const size_t nd = len - pl - sl;
    if (nd > 19) return -1;
    for (size_t i = pl; i < pl + nd; ++i) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    /* Only the canonical spelling: exactly max(width, digits) digits. */
    if ((int)nd != max_int(width, digits(v))) return -1;
    if (v == 0 || v > limit) return -1;
    return (int64_t)(v - 1);
}

/* What a path names. */
enum { P_NONE, P_ROOT, P_ARTIST, P_ALBUM, P_TRACK };
typedef struct {
    int kind;
    uint64_t artist, album, track; /* album: global album index; track: global track index */
} where_t;

static where_t resolve(const struct mfs_origin* o, const char* path) {
    where_t w = {P_NONE, 0, 0, 0};
    if (path[0] == '\0') {
        w.kind = P_ROOT;
        return w;
    }
    const char* c1 = path;
    const char* s1 = strchr(c1, '/');
    const int64_t a = parse_name(c1, s1 ? (size_t)(s1 - c1) : strlen(c1), "Artist ", "",
                                 o->artist_width, o->artists);
    if (a < 0) return w;
    w.artist = (uint64_t)a;
    if (!s1) {
        w.kind = P_ARTIST;
        return w;
    }
    const char* c2 = s1 + 1;
    const char* s2 = strchr(c2, '/');
    const int64_t b = parse_name(c2, s2 ? (size_t)(s2 - c2) : strlen(c2), "Album ", "",
                                 o->album_width, albums_of_artist(o, w.artist));
    if (b < 0) return w;
    w.album = w.artist * o->albums_per_artist + (uint64_t)b;
    if (!s2) {
        w.kind = P_ALBUM;
        return w;
    }
    const char* c3 = s2 + 1;
    if (strchr(c3, '/')) return w;
    const int64_t t = parse_name(c3, strlen(c3), "", ".flac", o->track_width,
                                 tracks_of_album(o, w.album));
    if (t < 0) return w;
    w.track = w.album * o->tracks_per_album + (uint64_t)t;
    w.kind = P_TRACK;
    return w;
}

/* ------------------------------------------------------------------------------------------ */
/* The FLAC header */

typedef struct {
    unsigned char* p;
    uint32_t len, cap;
} buf_t;

static void put(buf_t* b, const void* data, uint32_t n) {
    if (b->len + n > b->cap) n = b->cap - b->len; /* cannot happen: HEADER_MAX bounds it */
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void put_u32le(buf_t* b, uint32_t v) {
    const unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                                (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    put(b, x, 4);
}

static void put_block_header(buf_t* b, int last, unsigned type, uint32_t len) {
    const unsigned char x[4] = {(unsigned char)((last ? 0x80u : 0u) | type),
                                (unsigned char)(len >> 16), (unsigned char)(len >> 8),
                                (unsigned char)len};
    put(b, x, 4);
}

static void put_comment(buf_t* b, uint32_t* count, const char* key, const char* value) {
    char field[512];
    const int n = snprintf(field, sizeof field, "%s=%s", key, value);
    if (n <= 0) return;
    const uint32_t len = (uint32_t)n < sizeof field ? (uint32_t)n : (uint32_t)sizeof field - 1;
    put_u32le(b, len);
    put(b, field, len);
    ++*count;
}

static void uuid(const struct mfs_origin* o, uint64_t kind, uint64_t index, char out[37]) {
    const uint64_t h = hash2(o, kind, index), l = mix(h);
    snprintf(out, 37, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
             h >> 32, (h >> 16) & 0xFFFF, h & 0xFFF, (l >> 48 & 0x3FFF) | 0x8000,
             (uint64_t)(l & 0xFFFFFFFFFFFFu));
}

/* Writes the header of track g into out (HEADER_MAX bytes); returns its length. */
static uint32_t make_header(const struct mfs_origin* o, uint64_t g, uint64_t size,
                            unsigned char* out) {
    buf_t b = {out, 0, HEADER_MAX};
    const uint64_t album = g / o->tracks_per_album;
    const uint64_t artist = g / o->per_artist;
    put(&b, "fLaC", 4);

    /* STREAMINFO: block size 4096, frame sizes unknown, 44100 Hz, 2 channels, 16 bits. */
    const uint64_t audio_bytes = size - HEADER_MAX;
    uint64_t samples = audio_bytes * 8 / (KBPS * 1000u) * 44100u +
                       (audio_bytes * 8 % (KBPS * 1000u)) * 44100u / (KBPS * 1000u);
    if (samples >= (1ull << 36)) samples = (1ull << 36) - 1;
    unsigned char si[34] = {0x10, 0x00, 0x10, 0x00, 0, 0, 0, 0, 0, 0};
    const uint64_t packed = (44100ull << 44) | (1ull << 41) | (15ull << 36) | samples;
    for (int i = 0; i < 8; ++i) si[10 + i] = (unsigned char)(packed >> (56 - 8 * i));
    /* MD5 of the audio: all zero, which FLAC defines as "not computed". */
    put_block_header(&b, 0, 0, sizeof si);
    put(&b, si, sizeof si);

    /* VORBIS_COMMENT: its length is known once written; reserve the block header. */
    const uint32_t vc_at = b.len;
    put_block_header(&b, 0, 4, 0);
    static const char kVendor[] = "reference libFLAC 1.4.2 20221022";
    put_u32le(&b, (uint32_t)(sizeof kVendor - 1));
    put(&b, kVendor, (uint32_t)(sizeof kVendor - 1));
    const uint32_t count_at = b.len;
    put_u32le(&b, 0);
    uint32_t count = 0;

    char title[256], artist_s[128], album_s[128], feat[128], text[300], id[37];
    words(title, sizeof title, g, o->tracks, mix(o->seed ^ 2), kTitleWords, kTitleWords);
    artist_name(o, artist, artist_s, sizeof artist_s);
    words(album_s, sizeof album_s, album, o->artists * o->albums_per_artist, mix(o->seed ^ 3),
          kAdjectives, kTitleWords);
    put_comment(&b, &count, "TITLE", title);
    if (g % 7 == 3) {
        artist_name(o, (artist + 1 + hash2(o, 2, g) % 97) % (o->artists ? o->artists : 1), feat,
                    sizeof feat);
        snprintf(text, sizeof text, "%s feat. %s", artist_s, feat);
        put_comment(&b, &count, "ARTIST", text);
    } else {
        put_comment(&b, &count, "ARTIST", artist_s);
    }
    put_comment(&b, &count, "ALBUMARTIST", artist_s);
    put_comment(&b, &count, "ALBUM", album_s);
    snprintf(text, sizeof text, "%" PRIu64, g % o->tracks_per_album + 1);
    put_comment(&b, &count, "TRACKNUMBER", text);
    snprintf(text, sizeof text, "%" PRIu64, tracks_of_album(o, album));
    put_comment(&b, &count, "TRACKTOTAL", text);
    put_comment(&b, &count, "DISCNUMBER", "1");
    put_comment(&b, &count, "DISCTOTAL", "1");
    snprintf(text, sizeof text, "%" PRIu64, 1960 + hash2(o, 3, album) % 65);
    put_comment(&b, &count, "DATE", text);
    put_comment(&b, &count, "GENRE",
                kGenres[hash2(o, 4, artist) % (sizeof kGenres / sizeof kGenres[0])]);
    uuid(o, 5, g, id);
    put_comment(&b, &count, "MUSICBRAINZ_TRACKID", id);
    uuid(o, 6, album, id);
    put_comment(&b, &count, "MUSICBRAINZ_ALBUMID", id);
    uuid(o, 7, artist, id);
    put_comment(&b, &count, "MUSICBRAINZ_ARTISTID", id);
    put_comment(&b, &count, "MUSICBRAINZ_ALBUMARTISTID", id);

    const uint32_t vc_len = b.len - vc_at - 4;
    out[vc_at + 1] = (unsigned char)(vc_len >> 16);
    out[vc_at + 2] = (unsigned char)(vc_len >> 8);
    out[vc_at + 3] = (unsigned char)vc_len;
    out[count_at] = (unsigned char)count;
    out[count_at + 1] = (unsigned char)(count >> 8);

    /* PADDING, the last metadata block. */
    put_block_header(&b, 1, 1, PADDING_SIZE);
    if (b.len + PADDING_SIZE <= b.cap) {
        memset(out + b.len, 0, PADDING_SIZE);
        b.len += PADDING_SIZE;
    }
    return b.len;
}

/* ------------------------------------------------------------------------------------------ */
/* Configuration */

static int parse_count(const char* key, const char* value, uint64_t max, uint64_t* out) {
    char* end = NULL;
    errno = 0;
    if (value[0] == '-' || value[0] == '\0') goto bad;
    unsigned long long v = strtoull(value, &end, 10);
    if (errno != 0 || end == value) goto bad;
    unsigned long long mult = 1;
    if (*end == 'K' || *end == 'k') mult = 1024ull, ++end;
    else if (*end == 'M' || *end == 'm') mult = 1024ull * 1024, ++end;
    else if (*end == 'G' || *end == 'g') mult = 1024ull * 1024 * 1024, ++end;
    if (*end != '\0' || v > max / mult) goto bad;
    *out = v * mult;
    return 0;
bad:
    logf_(MFS_LOG_ERROR, "option '%s' must be a whole number up to %" PRIu64 ", not '%s'", key,
          max, value);
    return -EINVAL;
}

static int32_t origin_create(const mfs_host_t* host, const mfs_config_t* config,
                             mfs_origin_t** out) {
    (void)host;
    struct mfs_origin o = {.tracks = 1000,
                           .seed = 0,
                           .albums_per_artist = 10,
                           .tracks_per_album = 12,
                           .size_mean = 30000000,
                           .mtime_ns = 0};
    uint64_t mtime_s = 1700000000;
    for (uint32_t i = 0; i < config->count; ++i) {
        const mfs_config_entry_t* e = &config->entries[i];
        int rc = 0;
        if (strcmp(e->key, "tracks") == 0)
            rc = parse_count(e->key, e->value, 1000000000ull, &o.tracks);
        else if (strcmp(e->key, "seed") == 0)
            rc = parse_count(e->key, e->value, UINT64_MAX, &o.seed);
        else if (strcmp(e->key, "albums_per_artist") == 0)
            rc = parse_count(e->key, e->value, 1000000ull, &o.albums_per_artist);
        else if (strcmp(e->key, "tracks_per_album") == 0)
            rc = parse_count(e->key, e->value, 10000ull, &o.tracks_per_album);
        else if (strcmp(e->key, "size_mean") == 0)
            rc = parse_count(e->key, e->value, 1ull << 40, &o.size_mean);
        else if (strcmp(e->key, "mtime") == 0)
            rc = parse_count(e->key, e->value, 4000000000ull, &mtime_s);
        else
            logf_(MFS_LOG_WARN, "unknown option '%s' ignored", e->key);
        if (rc != 0) return rc;
    }
    if (o.albums_per_artist == 0 || o.tracks_per_album == 0) {
        logf_(MFS_LOG_ERROR, "albums_per_artist and tracks_per_album must be at least 1");
        return -EINVAL;
    }
    o.mtime_ns = (int64_t)mtime_s * 1000000000;
    o.per_artist = o.albums_per_artist * o.tracks_per_album;
    o.artists = (o.tracks + o.per_artist - 1) / o.per_artist;
    o.artist_width = max_int(4, digits(o.artists));
    o.album_width = max_int(4, digits(o.albums_per_artist));
    o.track_width = max_int(2, digits(o.tracks_per_album));

    struct mfs_origin* p = malloc(sizeof *p);
    unsigned char* filler = malloc(FILLER_SIZE);
    if (!p || !filler) {
        free(p);
        free(filler);
        return -ENOMEM;
    }
    *p = o;
    p->filler = filler;
    uint64_t x = mix(o.seed ^ 0xF111E5ull);
    for (uint32_t i = 0; i < FILLER_SIZE; i += 8) {
        x = mix(x);
        memcpy(filler + i, &x, 8);
    }
    logf_(MFS_LOG_INFO,
          "%" PRIu64 " tracks (%" PRIu64 " artists x %" PRIu64 " albums x %" PRIu64
          " tracks), seed %" PRIu64 ", mean size %" PRIu64 " bytes",
          o.tracks, o.artists, o.albums_per_artist, o.tracks_per_album, o.seed, o.size_mean);
    *out = p;
    return 0;
}

static void origin_destroy(mfs_origin_t* o) {
    if (!o) return;
    free(o->filler);
    free(o);
}

static int32_t origin_list(mfs_origin_t* o, const char* dir, mfs_origin_list_sink_fn sink,
                           void* sink_ctx) {
    const where_t w = resolve(o, dir);
    char name[64];
    mfs_origin_stat_t st = {sizeof st, MFS_ENTRY_DIRECTORY, 0, o->mtime_ns};
    switch (w.kind) {
        case P_ROOT:
            for (uint64_t a = 0; a < o->artists; ++a) {
                snprintf(name, sizeof name, "Artist %0*" PRIu64, o->artist_width, a + 1);
                if (sink(sink_ctx, name, &st) != 0) break;
            }
            return 0;
        case P_ARTIST: {
            const uint64_t n = albums_of_artist(o, w.artist);
            for (uint64_t b = 0; b < n; ++b) {
                snprintf(name, sizeof name, "Album %0*" PRIu64, o->album_width, b + 1);
                if (sink(sink_ctx, name, &st) != 0) break;
            }
            return 0;
        }
        case P_ALBUM: {
            const uint64_t n = tracks_of_album(o, w.album);
            st.type = MFS_ENTRY_FILE;
            for (uint64_t t = 0; t < n; ++t) {
                const uint64_t g = w.album * o->tracks_per_album + t;
                snprintf(name, sizeof name, "%0*" PRIu64 ".flac", o->track_width, t + 1);
                st.size = track_size(o, g);
                st.mtime_ns = track_mtime(o, g);
                if (sink(sink_ctx, name, &st) != 0) break;
            }
            return 0;
        }
        case P_TRACK:
            return -ENOTDIR;
        default:
            return -ENOENT;
    }
}

static int32_t origin_stat(mfs_origin_t* o, const char* path, mfs_origin_stat_t* out) {
    const where_t w = resolve(o, path);
    if (w.kind == P_NONE) return -ENOENT;
    out->mtime_ns = o->mtime_ns;
    if (w.kind == P_TRACK) {
        out->type = MFS_ENTRY_FILE;
        out->size = track_size(o, w.track);
        out->mtime_ns = track_mtime(o, w.track);
    } else {
        out->type = MFS_ENTRY_DIRECTORY;
        out->size = 0;
    }
    return 0;
}

static int32_t origin_open(mfs_origin_t* o, const char* path, mfs_origin_file_t** out) {
    const where_t w = resolve(o, path);
    if (w.kind == P_NONE) return -ENOENT;
    if (w.kind != P_TRACK) return -EISDIR;
    unsigned char header[HEADER_MAX];
    const uint64_t size = track_size(o, w.track);
    const uint32_t len = make_header(o, w.track, size, header);
    struct mfs_origin_file* f = malloc(sizeof *f + len);
    if (!f) return -ENOMEM;
    f->origin = o;
    f->size = size;
    f->rotation = hash2(o, 8, w.track) % FILLER_SIZE;
    f->header_len = len;
    memcpy(f->header, header, len);
    *out = f;
    return 0;
}

static int64_t origin_read(mfs_origin_file_t* f, uint64_t offset, void* buf, uint64_t len) {
    if (offset >= f->size) return 0;
    if (len > f->size - offset) len = f->size - offset;
    unsigned char* dst = buf;
    uint64_t done = 0;
    if (offset < f->header_len) {
        const uint64_t n = f->header_len - offset < len ? f->header_len - offset : len;
        memcpy(dst, f->header + offset, n);
        done = n;
    }
    while (done < len) {
        const uint64_t at = (offset + done + f->rotation) % FILLER_SIZE;
        uint64_t n = FILLER_SIZE - at;
        if (n > len - done) n = len - done;
        memcpy(dst + done, f->origin->filler + at, n);
        done += n;
    }
    /* Tag readers look for an ID3v1 tag ("TAG") 128 bytes before the end: never have one. */
    const uint64_t id3v1 = f->size - 128;
    if (f->size >= 128 && id3v1 >= f->header_len && id3v1 >= offset && id3v1 < offset + len &&
        dst[id3v1 - offset] == 'T')
        dst[id3v1 - offset] = 't';
    return (int64_t)len;
}

static void origin_close(mfs_origin_file_t* f) { free(f); }

static const mfs_origin_kind_t kOriginKind = {
    .struct_size = sizeof(mfs_origin_kind_t),
    .create = origin_create,
    .destroy = origin_destroy,
    .list = origin_list,
    .stat = origin_stat,
    .open = origin_open,
    .read = origin_read,
    .close = origin_close,
};

static int32_t plugin_init(const mfs_host_t* host) {
    g_host = host;
    return 0;
}

static void plugin_deinit(void) { g_host = NULL; }

static const void* plugin_get_kind(const char* kind_id) {
    if (strcmp(kind_id, MFS_ORIGIN_KIND_ID) == 0) return &kOriginKind;
    return NULL;
}

static const mfs_plugin_t kPlugin = {
    .struct_size = sizeof(mfs_plugin_t),
    .abi_major = MFS_ABI_VERSION_MAJOR,
    .abi_minor = MFS_ABI_VERSION_MINOR,
    .id = PLUGIN_ID,
    .name = "synthetic",
    .version = "0.1.0",
    .description = "N generated tracks with tags and sizes and no files (benchmarks)",
    .init = plugin_init,
    .deinit = plugin_deinit,
    .get_kind = plugin_get_kind,
};

MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry(void) { return &kPlugin; }
