/*
 * Text and JSON rendering for nvtcp_identify (see out.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "out.h"

/* Width of the label column in text mode, indentation included. */
#define LABEL_WIDTH 46

int
out_init(struct out *o, bool json)
{
	memset(o, 0, sizeof(*o));
	o->json = json;
	if (json) {
		o->stack[0] = json_object_new_object();
		if (o->stack[0] == NULL) {
			return -1;
		}
	}
	return 0;
}

void
out_finish(struct out *o)
{
	if (o->json && o->stack[0] != NULL) {
		printf("%s\n", json_object_to_json_string_ext(o->stack[0], JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o->stack[0]);
		o->stack[0] = NULL;
	}
	fflush(stdout);
}

static struct json_object *
cur(struct out *o)
{
	return o->stack[o->depth];
}

/* Store a JSON value in the innermost container. */
static void
jput(struct out *o, const char *key, struct json_object *val)
{
	struct json_object *c = cur(o);

	if (val == NULL) {
		return;
	}
	if (json_object_is_type(c, json_type_array)) {
		json_object_array_add(c, val);
	} else {
		json_object_object_add(c, key, val);
	}
}

static void
push(struct out *o, struct json_object *obj, const char *key)
{
	jput(o, key, obj);
	if (o->depth + 1 < OUT_MAX_DEPTH) {
		o->stack[++o->depth] = obj;
	}
}

static void
text_line(struct out *o, const char *label, const char *value)
{
	int indent = 2 * (o->depth > 0 ? o->depth - 1 : 0);
	int pad = LABEL_WIDTH - indent - (int)strlen(label) - 1;

	printf("%*s%s:%*s %s\n", indent, "", label, pad > 0 ? pad : 0, "", value);
}

void
out_section(struct out *o, const char *title, const char *key)
{
	if (o->json) {
		push(o, json_object_new_object(), key);
		return;
	}
	if (o->depth == 0) {
		size_t n = strlen(title);

		printf("\n%s\n", title);
		for (size_t i = 0; i < n; i++) {
			putchar('=');
		}
		putchar('\n');
	} else {
		printf("%*s%s\n", 2 * (o->depth - 1), "", title);
	}
	o->depth++;
}

void
out_array(struct out *o, const char *title, const char *key)
{
	if (o->json) {
		push(o, json_object_new_array(), key);
		return;
	}
	out_section(o, title, key);
}

void
out_end(struct out *o)
{
	if (o->depth > 0) {
		o->depth--;
	}
}

void
out_str(struct out *o, const char *label, const char *key, const char *val)
{
	if (o->json) {
		jput(o, key, json_object_new_string(val));
	} else {
		text_line(o, label, val);
	}
}

void
out_u64(struct out *o, const char *label, const char *key, uint64_t val)
{
	char buf[32];

	if (o->json) {
		jput(o, key, json_object_new_uint64(val));
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, val);
	text_line(o, label, buf);
}

void
out_hex(struct out *o, const char *label, const char *key, uint64_t val, int width)
{
	char buf[32];

	if (o->json) {
		jput(o, key, json_object_new_uint64(val));
		return;
	}
	snprintf(buf, sizeof(buf), "0x%0*" PRIx64, width, val);
	text_line(o, label, buf);
}

void
out_bool(struct out *o, const char *label, const char *key, bool val)
{
	if (o->json) {
		jput(o, key, json_object_new_boolean(val));
	} else {
		text_line(o, label, val ? "Yes" : "No");
	}
}

void
out_supp(struct out *o, const char *label, const char *key, bool val)
{
	if (o->json) {
		jput(o, key, json_object_new_boolean(val));
	} else {
		text_line(o, label, val ? "Supported" : "Not Supported");
	}
}

void
out_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024.0;
		u++;
	}
	if (u == 0) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
	} else {
		snprintf(buf, len, "%.2f %s", v, units[u]);
	}
}

void
out_bytes(struct out *o, const char *label, const char *key, uint64_t bytes)
{
	char human[32], buf[64];

	if (o->json) {
		jput(o, key, json_object_new_uint64(bytes));
		return;
	}
	out_fmt_size(bytes, human, sizeof(human));
	if (bytes < 1024) {
		snprintf(buf, sizeof(buf), "%s", human);
	} else {
		snprintf(buf, sizeof(buf), "%" PRIu64 " (%s)", bytes, human);
	}
	text_line(o, label, buf);
}

void
out_u64_note(struct out *o, const char *label, const char *key, uint64_t val,
	     const char *note_key, const char *note)
{
	char buf[256];

	if (o->json) {
		jput(o, key, json_object_new_uint64(val));
		if (note_key != NULL) {
			jput(o, note_key, json_object_new_string(note));
		}
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64 " (%s)", val, note);
	text_line(o, label, buf);
}

void
out_none(struct out *o, const char *label, const char *key, const char *text)
{
	if (o->json) {
		/* json-c represents null as a NULL value (which jput() would skip). */
		if (json_object_is_type(cur(o), json_type_array)) {
			json_object_array_add(cur(o), NULL);
		} else {
			json_object_object_add(cur(o), key, NULL);
		}
		return;
	}
	text_line(o, label, text);
}

void
out_raw(struct out *o, const char *title, const char *key, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (o->json) {
		static const char digits[] = "0123456789abcdef";
		char *hex = malloc(len * 2 + 1);

		if (hex == NULL) {
			return;
		}
		for (size_t i = 0; i < len; i++) {
			hex[2 * i] = digits[p[i] >> 4];
			hex[2 * i + 1] = digits[p[i] & 0xF];
		}
		hex[2 * len] = '\0';
		jput(o, key, json_object_new_string(hex));
		free(hex);
		return;
	}
	printf("\n%s (%zu bytes):\n", title, len);
	for (size_t off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16;

		printf("%04zx:", off);
		for (size_t i = 0; i < 16; i++) {
			if (i < n) {
				printf(" %02x", p[off + i]);
			} else {
				printf("   ");
			}
		}
		printf("  \"");
		for (size_t i = 0; i < n; i++) {
			uint8_t c = p[off + i];

			putchar(c >= 0x20 && c < 0x7F ? c : '.');
		}
		printf("\"\n");
	}
}
