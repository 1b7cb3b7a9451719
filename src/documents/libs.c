/* documents/libs.c - poppler, Tesseract and Leptonica, loaded when the first document needs
 * them.
 *
 * With what they pull in (GLib and GIO, a C++ runtime, image codecs, OpenMP) they are some
 * thirty shared libraries and about 8 MB of resident memory in every connectord process,
 * while most processes never open a PDF or a photo of a receipt. Linked normally, a webhook
 * receiver would carry them all from its start; loaded here with dlopen on the first
 * document, they cost only where documents are read. The prototypes stay the libraries' own
 * (each pointer has the type of the function it holds), so the compiler checks every call
 * as it would a direct one. */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "documents/libs.h"

#define LIB_POPPLER "libpoppler-glib.so.8"
#define LIB_TESSERACT "libtesseract.so.5"
#define LIB_LEPTONICA "liblept.so.5"

enum { POPPLER, TESSERACT, LEPTONICA };

static const char *const lib_names[] = {[POPPLER] = LIB_POPPLER,
                                        [TESSERACT] = LIB_TESSERACT,
                                        [LEPTONICA] = LIB_LEPTONICA};

/* Each symbol: its library (GLib's come with poppler-glib, which depends on it) and its slot. */
#define SYM(lib, name) {lib, #name, offsetof(struct doc_libs, name)}
static const struct {
    int lib;
    const char *name;
    size_t offset;
} symbols[] = {
    SYM(POPPLER, g_bytes_new),
    SYM(POPPLER, g_bytes_unref),
    SYM(POPPLER, g_error_free),
    SYM(POPPLER, g_free),
    SYM(POPPLER, g_list_free_full),
    SYM(POPPLER, g_object_unref),
    SYM(POPPLER, poppler_document_new_from_bytes),
    SYM(POPPLER, poppler_document_get_n_pages),
    SYM(POPPLER, poppler_document_get_page),
    SYM(POPPLER, poppler_document_has_attachments),
    SYM(POPPLER, poppler_document_get_attachments),
    SYM(POPPLER, poppler_attachment_save_to_callback),
    SYM(POPPLER, poppler_page_get_text),
    SYM(POPPLER, poppler_page_get_text_layout),
    SYM(POPPLER, poppler_page_get_size),
    SYM(POPPLER, poppler_page_render_for_printing),
    SYM(TESSERACT, TessBaseAPICreate),
    SYM(TESSERACT, TessBaseAPIDelete),
    SYM(TESSERACT, TessBaseAPIEnd),
    SYM(TESSERACT, TessBaseAPIInit3),
    SYM(TESSERACT, TessBaseAPISetPageSegMode),
    SYM(TESSERACT, TessBaseAPISetImage2),
    SYM(TESSERACT, TessBaseAPISetSourceResolution),
    SYM(TESSERACT, TessBaseAPIGetUTF8Text),
    SYM(TESSERACT, TessBaseAPIMeanTextConf),
    SYM(TESSERACT, TessDeleteText),
    SYM(LEPTONICA, setMsgSeverity),
    SYM(LEPTONICA, pixReadMem),
    SYM(LEPTONICA, pixDestroy),
    SYM(LEPTONICA, pixGetWidth),
    SYM(LEPTONICA, pixGetHeight),
    SYM(LEPTONICA, pixConvertTo8),
    SYM(LEPTONICA, pixBackgroundNormSimple),
    SYM(LEPTONICA, pixDeskew),
};
#undef SYM

static struct doc_libs libs;
static char load_error[512]; /* empty when every symbol was found */
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

/* Once per process; the libraries stay loaded until it ends. */
static void load(void)
{
    void *handles[sizeof lib_names / sizeof lib_names[0]] = {0};
    for (size_t i = 0; i < sizeof lib_names / sizeof lib_names[0]; i++) {
        handles[i] = dlopen(lib_names[i], RTLD_NOW | RTLD_LOCAL);
        if (!handles[i]) {
            const char *why = dlerror();
            snprintf(load_error, sizeof load_error, "%s", why ? why : lib_names[i]);
            return;
        }
    }
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        void *fn = dlsym(handles[symbols[i].lib], symbols[i].name);
        if (!fn) {
            snprintf(load_error, sizeof load_error, "%s has no %s", lib_names[symbols[i].lib],
                     symbols[i].name);
            return;
        }
        /* POSIX guarantees a function's address fits a void *; memcpy says so without a
         * cast between object and function pointers. */
        memcpy((char *)&libs + symbols[i].offset, &fn, sizeof fn);
    }
}

const struct doc_libs *doc_libs(struct error *err)
{
    pthread_once(&load_once, load);
    if (load_error[0]) {
        error_set(err, ERR_UNAVAILABLE, "documents cannot be read: %s (install poppler-glib, "
                                        "tesseract and leptonica)", load_error);
        return NULL;
    }
    return &libs;
}
