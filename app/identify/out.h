/*
 * A small output layer for nvtcp_identify: the report is described once (sections, labelled
 * values) and rendered either as aligned text for people or as one JSON document for scripts,
 * so the two can never disagree about what was found.
 */
#ifndef NVTCP_IDENTIFY_OUT_H
#define NVTCP_IDENTIFY_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

/** Deepest nesting of sections and arrays. */
#define OUT_MAX_DEPTH 8

struct out {
	/** Render JSON (one document at out_finish()) instead of text. */
	bool json;
	/** Open JSON containers, innermost last (stack[0] is the document). */
	struct json_object *stack[OUT_MAX_DEPTH];
	int depth;
};

/** Start a report. */
int out_init(struct out *o, bool json);
/** Print the JSON document (JSON mode) and free everything. */
void out_finish(struct out *o);

/**
 * Open a section. Text: a title line (underlined at the top level). JSON: an object stored under
 * \p key in the enclosing object, or appended when the enclosing container is an array.
 */
void out_section(struct out *o, const char *title, const char *key);
/** Open an array (JSON) / a titled list (text). */
void out_array(struct out *o, const char *title, const char *key);
/** Close the innermost section or array. */
void out_end(struct out *o);

/** A string value. */
void out_str(struct out *o, const char *label, const char *key, const char *val);
/** An unsigned decimal value. */
void out_u64(struct out *o, const char *label, const char *key, uint64_t val);
/** A value shown in hexadecimal with \p width digits (JSON: a number). */
void out_hex(struct out *o, const char *label, const char *key, uint64_t val, int width);
/** A yes/no value. */
void out_bool(struct out *o, const char *label, const char *key, bool val);
/** A "Supported"/"Not Supported" value (JSON: a boolean). */
void out_supp(struct out *o, const char *label, const char *key, bool val);
/** A byte count: text adds a binary-unit rendering, JSON a plain number. */
void out_bytes(struct out *o, const char *label, const char *key, uint64_t bytes);
/**
 * A number with a text explanation: text "val (note)", JSON the number plus, when \p note_key
 * is not NULL, the note as a string under that key.
 */
void out_u64_note(struct out *o, const char *label, const char *key, uint64_t val,
		  const char *note_key, const char *note);
/** A JSON null / text "(not reported)". */
void out_none(struct out *o, const char *label, const char *key, const char *text);
/** Raw bytes: text a hex dump under a title, JSON a hex string. */
void out_raw(struct out *o, const char *title, const char *key, const void *buf, size_t len);

/** "1.50 GiB" style rendering of a byte count. */
void out_fmt_size(uint64_t bytes, char *buf, size_t len);

#endif /* NVTCP_IDENTIFY_OUT_H */
