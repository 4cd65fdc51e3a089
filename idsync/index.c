/* index.c: a string-keyed hash index of integer lists (nickname groups,
 * account keys, values numbered: a string to the things that carry it),
 * and key sets, the same known by the keys' hashes (blocking keys and
 * identifier values). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

struct index_slot {
	char	*key;		/* NULL: empty */
	uint64_t hash;
	size_t	*values;
	size_t	 count;
	size_t	 alloc;
};

/*
 * Keys and value lists live in an arena the index frees at once: an index
 * of a few hundred thousand keys was that many pairs of allocations, and
 * freeing them took longer than a run that finds nothing changed spends
 * on anything but reading. A list that grows moves to a room twice its
 * size and leaves the old one (what it held stays readable until the
 * index is freed).
 */
struct index {
	struct index_slot *slots;
	size_t		 size;		/* a power of two */
	size_t		 used;
	struct xarena	*room;
};

/* FNV-1a: short keys, no adversary to fear (they come from our config and
 * the directories an administrator points us at). */
static uint64_t
index_hash(const char *key)
{
	uint64_t	 h = 14695981039346656037ULL;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 1099511628211ULL;
	}
	return h;
}

struct index *
index_new(void)
{
	struct index	*ix;

	ix = xcalloc(1, sizeof *ix);
	ix->size = 64;
	ix->slots = xcalloc_written(ix->size, sizeof *ix->slots);
	return ix;
}

void
index_free(struct index *ix)
{
	if (ix == NULL)
		return;
	xarena_free(ix->room);
	free(ix->slots);
	free(ix);
}

static struct index_slot *
index_find(const struct index *ix, const char *key, uint64_t h)
{
	size_t	 i = (size_t)h & (ix->size - 1);

	while (ix->slots[i].key != NULL) {
		if (ix->slots[i].hash == h && strcmp(ix->slots[i].key, key) == 0)
			return &ix->slots[i];
		i = (i + 1) & (ix->size - 1);
	}
	return &ix->slots[i];
}

/* Room in ix (not split) for more keys without growing again. */
static void
index_reserve(struct index *ix, size_t more)
{
	struct index_slot	*old = ix->slots, *s;
	size_t			 oldsize = ix->size, i;

	if ((ix->used + more) * 4 <= ix->size * 3)
		return;
	while ((ix->used + more) * 4 > ix->size * 3)
		ix->size *= 2;
	ix->slots = xcalloc_written(ix->size, sizeof *ix->slots);
	for (i = 0; i < oldsize; i++) {
		if (old[i].key == NULL)
			continue;
		s = index_find(ix, old[i].key, old[i].hash);
		*s = old[i];
	}
	free(old);
}

/* key's slot (h: its hash) in ix, not split, made if it is new. */
static struct index_slot *
index_slot(struct index *ix, const char *key, uint64_t h)
{
	struct index_slot	*s;
	size_t			 len;

	index_reserve(ix, 1);
	s = index_find(ix, key, h);
	if (s->key == NULL) {
		len = strlen(key) + 1;
		s->key = memcpy(xarena_alloc(&ix->room, len), key, len);
		s->hash = h;
		ix->used++;
	}
	return s;
}

static void
index_slot_add(struct index *ix, struct index_slot *s, size_t value)
{
	size_t	*values;

	if (s->count == s->alloc) {
		s->alloc = s->alloc == 0 ? 1 : s->alloc * 2;
		if (s->alloc > SIZE_MAX / sizeof *values)
			fatalx("index: a list of %zu values", s->count);
		values = xarena_alloc(&ix->room, s->alloc * sizeof *values);
		if (s->count > 0)
			memcpy(values, s->values, s->count * sizeof *values);
		s->values = values;
	}
	s->values[s->count++] = value;
}

void
index_add(struct index *ix, const char *key, size_t value)
{
	uint64_t	 h = index_hash(key);

	index_slot_add(ix, index_slot(ix, key, h), value);
}

/* Adds value unless the key already lists it last (keys are added in
 * value order, so that is enough to keep lists free of repeats). */
void
index_add_once(struct index *ix, const char *key, size_t value)
{
	struct index_slot	*s;
	uint64_t		 h = index_hash(key);

	s = index_slot(ix, key, h);
	if (s->count == 0 || s->values[s->count - 1] != value)
		index_slot_add(ix, s, value);
}

/* key's first value; if ix does not hold key, value, added for it (one
 * search for what index_get then index_add do in two). */
size_t
index_first_or_add(struct index *ix, const char *key, size_t value)
{
	struct index_slot	*s;
	uint64_t		 h = index_hash(key);

	s = index_slot(ix, key, h);
	if (s->count == 0)
		index_slot_add(ix, s, value);
	return s->values[0];
}

const size_t *
index_get(const struct index *ix, const char *key, size_t *count)
{
	const struct index_slot	*s;
	uint64_t		 h = index_hash(key);

	s = index_find(ix, key, h);
	if (s->key == NULL) {
		*count = 0;
		return NULL;
	}
	*count = s->count;
	return s->values;
}

size_t
index_keys(const struct index *ix)
{
	return ix->used;
}

/* Calls fn for every key in no particular order. */
void
index_foreach(const struct index *ix, void (*fn)(const char *key,
    const size_t *values, size_t count, void *arg), void *arg)
{
	size_t	 i;

	for (i = 0; i < ix->size; i++)
		if (ix->slots[i].key != NULL)
			fn(ix->slots[i].key, ix->slots[i].values,
			    ix->slots[i].count, arg);
}

/*
 * Key sets: keys known by their 64-bit hashes alone, each with the
 * ascending list of what carries it. Matching's blocking keys and
 * identifier values are millions of strings that are only ever grouped:
 * threads gather (hash, value) pairs into batches, then a thread per part
 * sorts that part's pairs by radix and reads the lists off in one pass.
 * Entering them into a string index instead (a copy of each key, a probe
 * per key, string comparisons in every sort) was a tenth of a run.
 *
 * Two keys of one hash share a list. Over three million keys that is
 * about one run in ten million (the birthday bound at 64 bits), and it can
 * only add candidate pairs or take a list past its size limit: what links
 * is decided on the values themselves.
 */
struct keyset_entry {
	uint64_t	 hash;
	size_t		 value;
};

struct keyset_batch {
	struct keyset_entry *entries;
	size_t		 count;
	size_t		 alloc;
};

struct keyset_part {
	uint64_t	*keys;		/* ascending */
	size_t		*start;		/* nkeys + 1, into values */
	size_t		*values;
	size_t		 nkeys;
};

struct keyset {
	struct keyset_part *parts;
	size_t		 nparts;
};

/* FNV-1a, its bits then mixed (MurmurHash3's finaliser) so that the high
 * ones share out the parts and every radix digit is spread. */
static uint64_t
keyset_hash(const char *key)
{
	uint64_t	 h = index_hash(key);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* The part of ks (of nparts) holding hash h: by its high bits, so the
 * parts in turn hold the hashes in ascending order. */
static size_t
keyset_part_of(size_t nparts, uint64_t h)
{
	return (size_t)(((h >> 32) * nparts) >> 32);
}

struct keyset_batch *
keyset_batch_new(void)
{
	return xcalloc(1, sizeof(struct keyset_batch));
}

void
keyset_batch_free(struct keyset_batch *b)
{
	if (b == NULL)
		return;
	free(b->entries);
	free(b);
}

void
keyset_batch_add(struct keyset_batch *b, const char *key, size_t value)
{
	struct keyset_entry	*e;

	if (b->count == b->alloc) {
		b->alloc = b->alloc == 0 ? 1024 : b->alloc * 2;
		b->entries = xreallocarray(b->entries, b->alloc,
		    sizeof *b->entries);
	}
	e = &b->entries[b->count++];
	e->hash = keyset_hash(key);
	e->value = value;
}

struct keyset *
keyset_new(size_t nparts)
{
	struct keyset	*ks;

	ks = xcalloc(1, sizeof *ks);
	ks->nparts = nparts > 0 ? nparts : 1;
	ks->parts = xcalloc(ks->nparts, sizeof *ks->parts);
	return ks;
}

void
keyset_free(struct keyset *ks)
{
	size_t	 i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->nparts; i++) {
		free(ks->parts[i].keys);
		free(ks->parts[i].start);
		free(ks->parts[i].values);
	}
	free(ks->parts);
	free(ks);
}

static int
keyset_value_cmp(const void *x, const void *y)
{
	const struct keyset_entry	*a = x, *b = y;

	return a->value < b->value ? -1 : a->value > b->value;
}

#define KEYSET_RADIX_BITS	16
#define KEYSET_RADIX		(1U << KEYSET_RADIX_BITS)

/* e[0..n) by hash, stably, sixteen bits at a time (tmp: room for n more);
 * a digit all share is passed over. */
static void
keyset_sort(struct keyset_entry *e, struct keyset_entry *tmp, size_t n)
{
	struct keyset_entry	*from = e, *to = tmp, *swap;
	size_t			*count, i, sum, c;
	unsigned		 shift, d;

	count = xcalloc(KEYSET_RADIX, sizeof *count);
	for (shift = 0; shift < 64 && n > 1; shift += KEYSET_RADIX_BITS) {
		memset(count, 0, KEYSET_RADIX * sizeof *count);
		for (i = 0; i < n; i++)
			count[(from[i].hash >> shift) & (KEYSET_RADIX - 1)]++;
		d = (unsigned)((from[0].hash >> shift) & (KEYSET_RADIX - 1));
		if (count[d] == n)
			continue;
		for (i = 0, sum = 0; i < KEYSET_RADIX; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[(from[i].hash >> shift) &
			    (KEYSET_RADIX - 1)]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	free(count);
	if (from != e)
		memcpy(e, from, n * sizeof *e);
}

void
keyset_load(struct keyset *ks, size_t part, struct keyset_batch *const *b,
    size_t nb)
{
	struct keyset_part	*kp;
	struct keyset_entry	*all, *r, *g, *end;
	size_t			 i, j, n = 0, nk = 0, nv = 0;
	int			 mixed;

	if (part == KEYSET_ANY_PART) {
		for (i = 0; i < ks->nparts; i++)
			keyset_load(ks, i, b, nb);
		return;
	}
	kp = &ks->parts[part];
	if (kp->keys != NULL)
		fatalx("keyset: part %zu loaded twice", part);
	/* This part's entries only: each part's thread has room for its
	 * own, not for every part's. */
	for (i = 0; i < nb; i++)
		for (j = 0; j < b[i]->count; j++)
			n += ks->nparts == 1 || keyset_part_of(ks->nparts,
			    b[i]->entries[j].hash) == part;
	all = xcalloc(2 * n + 1, sizeof *all);
	for (i = 0, n = 0; i < nb; i++)
		for (j = 0; j < b[i]->count; j++)
			if (ks->nparts == 1 || keyset_part_of(ks->nparts,
			    b[i]->entries[j].hash) == part)
				all[n++] = b[i]->entries[j];
	keyset_sort(all, all + n, n);
	/* Batches gathered in order of value come out so; any other run is
	 * put in order. */
	for (r = all, end = all + n; r < end; r = g) {
		mixed = 0;
		for (g = r + 1; g < end && g->hash == r->hash; g++)
			if (g->value < g[-1].value)
				mixed = 1;
		if (mixed)
			qsort(r, (size_t)(g - r), sizeof *r,
			    keyset_value_cmp);
		nk++;
	}
	kp->keys = xcalloc(nk + 1, sizeof *kp->keys);
	kp->start = xcalloc(nk + 1, sizeof *kp->start);
	kp->values = xcalloc(n + 1, sizeof *kp->values);
	for (i = 0, nk = 0; i < n; i++) {
		if (i == 0 || all[i].hash != all[i - 1].hash) {
			kp->keys[nk] = all[i].hash;
			kp->start[nk++] = nv;
		} else if (all[i].value == all[i - 1].value)
			continue;
		kp->values[nv++] = all[i].value;
	}
	kp->start[nk] = nv;
	kp->nkeys = nk;
	free(all);
}

const size_t *
keyset_get_hash(const struct keyset *ks, uint64_t h, size_t *count)
{
	const struct keyset_part	*kp;
	size_t				 lo, hi, m;

	kp = &ks->parts[ks->nparts == 1 ? 0 : keyset_part_of(ks->nparts, h)];
	for (lo = 0, hi = kp->nkeys; lo < hi;) {
		m = lo + (hi - lo) / 2;
		if (kp->keys[m] < h)
			lo = m + 1;
		else
			hi = m;
	}
	if (lo == kp->nkeys || kp->keys[lo] != h) {
		*count = 0;
		return NULL;
	}
	*count = kp->start[lo + 1] - kp->start[lo];
	return &kp->values[kp->start[lo]];
}

const size_t *
keyset_get(const struct keyset *ks, const char *key, size_t *count)
{
	return keyset_get_hash(ks, keyset_hash(key), count);
}

size_t
keyset_keys(const struct keyset *ks)
{
	size_t	 i, n = 0;

	for (i = 0; i < ks->nparts; i++)
		n += ks->parts[i].nkeys;
	return n;
}

void
keyset_foreach(const struct keyset *ks, void (*fn)(uint64_t hash,
    const size_t *values, size_t count, void *arg), void *arg)
{
	const struct keyset_part	*kp;
	size_t				 i, k;

	for (i = 0; i < ks->nparts; i++) {
		kp = &ks->parts[i];
		for (k = 0; k < kp->nkeys; k++)
			fn(kp->keys[k], &kp->values[kp->start[k]],
			    kp->start[k + 1] - kp->start[k], arg);
	}
}

/* index_number's strings, for its sort of a run of one hash. */
static __thread const char *const *number_strings;

static int
index_number_cmp(const void *x, const void *y)
{
	const struct keyset_entry	*a = x, *b = y;
	int				 c;

	if ((c = strcmp(number_strings[a->value],
	    number_strings[b->value])) != 0)
		return c;
	return a->value < b->value ? -1 : a->value > b->value;
}

size_t
index_number(const char *const *s, size_t n, uint32_t *ids)
{
	struct keyset_entry	*e, *r, *g, *x, *end;
	size_t			*first, *slot, i, ng = 0, next = 0;

	if (n >= UINT32_MAX)
		fatalx("index: %zu strings to number", n);
	e = xcalloc(2 * n + 1, sizeof *e);
	for (i = 0; i < n; i++) {
		e[i].hash = keyset_hash(s[i]);
		e[i].value = i;
	}
	keyset_sort(e, e + n, n);
	/* Each string's group, numbered as found; first: where each group
	 * first appears. A run of one hash holding two strings is put in
	 * order of string (the sort kept each string's own in order). */
	first = xcalloc(n + 1, sizeof *first);
	for (r = e, end = e + n; r < end; r = g) {
		for (g = r + 1; g < end && g->hash == r->hash; g++)
			;
		for (x = r + 1; x < g; x++)
			if (strcmp(s[x->value], s[r->value]) != 0)
				break;
		if (x < g) {
			number_strings = s;
			qsort(r, (size_t)(g - r), sizeof *r, index_number_cmp);
		}
		for (x = r; x < g; x++) {
			if (x == r || strcmp(s[x->value], s[x[-1].value]) != 0)
				first[ng++] = x->value;
			ids[x->value] = (uint32_t)(ng - 1);
		}
	}
	free(e);
	/* Renumbered in order of first appearance. */
	slot = xcalloc(n + 1, sizeof *slot);
	for (i = 0; i < ng; i++)
		slot[first[i]] = i + 1;
	for (i = 0; i < n; i++)
		if (slot[i] != 0)
			first[slot[i] - 1] = next++;
	for (i = 0; i < n; i++)
		ids[i] = (uint32_t)first[ids[i]];
	free(slot);
	free(first);
	return ng;
}
