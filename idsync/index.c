/* index.c: a string-keyed hash index of integer lists: nickname groups,
 * blocking keys, identifier values and account keys all map a string to
 * the things that carry it. */
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
 * Keys and value lists live in chunks the index frees together: an index
 * of a few hundred thousand keys was that many pairs of allocations, and
 * freeing them took longer than a run that finds nothing changed spends
 * on anything but reading. A list that grows moves to a room twice its
 * size and leaves the old one (what it held stays readable until the
 * index is freed).
 */
struct index_chunk {
	struct index_chunk *next;
	size_t		 size;
	size_t		 used;
	max_align_t	 data[];
};

#define INDEX_CHUNK	(64 * 1024)

struct index {
	struct index_slot *slots;
	size_t		 size;		/* a power of two */
	size_t		 used;
	struct index_chunk *chunks;	/* the newest first */
	/* Split: the parts hold the keys, by their hashes' high bits. */
	struct index	**parts;
	size_t		 nparts;
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

struct index *
index_new_split(size_t nparts)
{
	struct index	*ix = index_new();
	size_t		 i;

	ix->parts = xcalloc(nparts, sizeof *ix->parts);
	ix->nparts = nparts;
	for (i = 0; i < nparts; i++)
		ix->parts[i] = index_new();
	return ix;
}

/* The part of split index ix that holds keys of hash h. */
static size_t
index_part(const struct index *ix, uint64_t h)
{
	return (size_t)((h >> 40) % ix->nparts);
}

/* Where keys of hash h live: ix, or its part for them. */
static struct index *
index_home(struct index *ix, uint64_t h)
{
	return ix->nparts > 0 ? ix->parts[index_part(ix, h)] : ix;
}

/* size bytes of room from ix's chunks, aligned for any type. */
static void *
index_room(struct index_chunk **chunks, size_t size)
{
	struct index_chunk	*c = *chunks;
	size_t			 need, csize;
	void			*p;

	need = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t);
	if (c == NULL || c->size - c->used < need) {
		csize = INDEX_CHUNK / sizeof(max_align_t);
		if (need > csize / 4)
			csize = need;
		c = xmalloc(sizeof *c + csize * sizeof(max_align_t));
		c->size = csize;
		c->used = 0;
		/* A chunk of one big list goes behind the one being
		 * filled, which keeps its room. */
		if (*chunks != NULL && csize == need) {
			c->next = (*chunks)->next;
			(*chunks)->next = c;
		} else {
			c->next = *chunks;
			*chunks = c;
		}
	}
	p = &c->data[c->used];
	c->used += need;
	return p;
}

static void
index_chunks_free(struct index_chunk *c)
{
	struct index_chunk	*next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
}

void
index_free(struct index *ix)
{
	size_t	 i;

	if (ix == NULL)
		return;
	for (i = 0; i < ix->nparts; i++)
		index_free(ix->parts[i]);
	free(ix->parts);
	index_chunks_free(ix->chunks);
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
		s->key = memcpy(index_room(&ix->chunks, len), key, len);
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
		values = index_room(&ix->chunks, s->alloc * sizeof *values);
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

	ix = index_home(ix, h);
	index_slot_add(ix, index_slot(ix, key, h), value);
}

/* Adds value unless the key already lists it last (keys are added in
 * value order, so that is enough to keep lists free of repeats). */
void
index_add_once(struct index *ix, const char *key, size_t value)
{
	struct index_slot	*s;
	uint64_t		 h = index_hash(key);

	ix = index_home(ix, h);
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

	ix = index_home(ix, h);
	s = index_slot(ix, key, h);
	if (s->count == 0)
		index_slot_add(ix, s, value);
	return s->values[0];
}

/*
 * Batches: each thread gathers its keys, then a thread per part of the
 * index sorts that part's and enters each key once with its whole list.
 * Filling an index key by key was most of matching's preparation: every
 * add a probe into a table of millions of slots, every list grown by
 * doubling, the table rehashed as it grew; and each thread filling its
 * part had to work out every key to find its own.
 */
struct index_entry {
	uint64_t	 hash;
	const char	*key;
	size_t		 value;
};

struct index_batch {
	struct index_entry *entries;
	size_t		 count;
	size_t		 alloc;
	struct index_chunk *chunks;	/* the keys' copies */
};

struct index_batch *
index_batch_new(void)
{
	return xcalloc(1, sizeof(struct index_batch));
}

void
index_batch_free(struct index_batch *b)
{
	if (b == NULL)
		return;
	free(b->entries);
	index_chunks_free(b->chunks);
	free(b);
}

void
index_batch_add(struct index_batch *b, const char *key, size_t value)
{
	struct index_entry	*e;
	size_t			 len = strlen(key) + 1;

	if (b->count == b->alloc) {
		b->alloc = b->alloc == 0 ? 1024 : b->alloc * 2;
		b->entries = xreallocarray(b->entries, b->alloc,
		    sizeof *b->entries);
	}
	e = &b->entries[b->count++];
	e->hash = index_hash(key);
	e->key = memcpy(index_room(&b->chunks, len), key, len);
	e->value = value;
}

static int
index_entry_cmp(const void *x, const void *y)
{
	const struct index_entry	*a = x, *b = y;
	int				 c;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	if ((c = strcmp(a->key, b->key)) != 0)
		return c;
	if (a->value != b->value)
		return a->value < b->value ? -1 : 1;
	return 0;
}

#define INDEX_RADIX_BITS	11
#define INDEX_RADIX		(1U << INDEX_RADIX_BITS)

/*
 * e[0..n) in the order of index_entry_cmp: by hash, stably, eleven bits
 * at a time (tmp: room for n more); then the rare run of one hash that
 * holds two keys, or values out of order, sorted whole.
 */
static void
index_sort(struct index_entry *e, struct index_entry *tmp, size_t n)
{
	struct index_entry	*from = e, *to = tmp, *swap, *r, *end;
	size_t			*count, i, sum, c;
	unsigned		 shift;
	int			 mixed;

	count = xcalloc(INDEX_RADIX, sizeof *count);
	for (shift = 0; shift < 64; shift += INDEX_RADIX_BITS) {
		memset(count, 0, INDEX_RADIX * sizeof *count);
		for (i = 0; i < n; i++)
			count[(from[i].hash >> shift) & (INDEX_RADIX - 1)]++;
		for (i = 0, sum = 0; i < INDEX_RADIX; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[(from[i].hash >> shift) &
			    (INDEX_RADIX - 1)]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	free(count);
	if (from != e)
		memcpy(e, from, n * sizeof *e);
	for (r = e, end = e + n; r < end; r = from) {
		mixed = 0;
		for (from = r + 1; from < end && from->hash == r->hash; from++)
			if (from->value < from[-1].value ||
			    strcmp(from->key, r->key) != 0)
				mixed = 1;
		if (mixed)
			qsort(r, (size_t)(from - r), sizeof *r,
			    index_entry_cmp);
	}
}

void
index_load(struct index *ix, size_t part, struct index_batch *const *b,
    size_t nb)
{
	struct index_entry	*all, *e, *end, *g;
	struct index_slot	*s;
	struct index		*home = ix;
	size_t			 i, j, n = 0, keys = 0, nv;

	if (ix->nparts > 0) {
		if (part == INDEX_ANY_PART) {
			for (i = 0; i < ix->nparts; i++)
				index_load(ix, i, b, nb);
			return;
		}
		home = ix->parts[part];
	}
	for (i = 0; i < nb; i++)
		n += b[i]->count;
	all = xcalloc(2 * n + 1, sizeof *all);
	for (i = 0, n = 0; i < nb; i++)
		for (j = 0; j < b[i]->count; j++)
			if (ix->nparts == 0 || index_part(ix,
			    b[i]->entries[j].hash) == part)
				all[n++] = b[i]->entries[j];
	index_sort(all, all + n, n);
	for (i = 0; i < n; i++)
		if (i == 0 || all[i].hash != all[i - 1].hash ||
		    strcmp(all[i].key, all[i - 1].key) != 0)
			keys++;
	index_reserve(home, keys);
	for (g = all, end = all + n; g < end; g = e) {
		nv = 1;
		for (e = g + 1; e < end && e->hash == g->hash &&
		    strcmp(e->key, g->key) == 0; e++)
			nv += e->value != e[-1].value;
		s = index_slot(home, g->key, g->hash);
		if (s->count == 0) {
			s->values = index_room(&home->chunks,
			    nv * sizeof *s->values);
			s->alloc = nv;
		}
		for (; g < e; g++)
			if (s->count == 0 ||
			    s->values[s->count - 1] != g->value)
				index_slot_add(home, s, g->value);
	}
	free(all);
}

const size_t *
index_get(const struct index *ix, const char *key, size_t *count)
{
	const struct index_slot	*s;
	uint64_t		 h = index_hash(key);

	s = index_find(ix->nparts > 0 ? ix->parts[index_part(ix, h)] : ix,
	    key, h);
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
	size_t	 i, n = ix->used;

	for (i = 0; i < ix->nparts; i++)
		n += index_keys(ix->parts[i]);
	return n;
}

/* Calls fn for every key in no particular order. */
void
index_foreach(const struct index *ix, void (*fn)(const char *key,
    const size_t *values, size_t count, void *arg), void *arg)
{
	size_t	 i;

	for (i = 0; i < ix->nparts; i++)
		index_foreach(ix->parts[i], fn, arg);
	for (i = 0; i < ix->size; i++)
		if (ix->slots[i].key != NULL)
			fn(ix->slots[i].key, ix->slots[i].values,
			    ix->slots[i].count, arg);
}
