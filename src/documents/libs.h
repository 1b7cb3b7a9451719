/* documents/libs.h - the PDF and OCR libraries, loaded on first use (see libs.c). Internal to
 * documents/. */
#ifndef CONNECTORD_DOCUMENTS_LIBS_H
#define CONNECTORD_DOCUMENTS_LIBS_H

#include <leptonica/allheaders.h>
#include <poppler.h>
#include <tesseract/capi.h>

#include "core/error.h"

/* One pointer per function used, typed as the library declares it. */
struct doc_libs {
    __typeof__(g_bytes_new) *g_bytes_new;
    __typeof__(g_bytes_unref) *g_bytes_unref;
    __typeof__(g_error_free) *g_error_free;
    __typeof__(g_free) *g_free;
    __typeof__(g_list_free_full) *g_list_free_full;
    __typeof__(g_object_unref) *g_object_unref;
    __typeof__(poppler_document_new_from_bytes) *poppler_document_new_from_bytes;
    __typeof__(poppler_document_get_n_pages) *poppler_document_get_n_pages;
    __typeof__(poppler_document_get_page) *poppler_document_get_page;
    __typeof__(poppler_document_has_attachments) *poppler_document_has_attachments;
    __typeof__(poppler_document_get_attachments) *poppler_document_get_attachments;
    __typeof__(poppler_attachment_save_to_callback) *poppler_attachment_save_to_callback;
    __typeof__(poppler_page_get_text) *poppler_page_get_text;
    __typeof__(poppler_page_get_text_layout) *poppler_page_get_text_layout;
    __typeof__(poppler_page_get_size) *poppler_page_get_size;
    __typeof__(poppler_page_render_for_printing) *poppler_page_render_for_printing;
    __typeof__(TessBaseAPICreate) *TessBaseAPICreate;
    __typeof__(TessBaseAPIDelete) *TessBaseAPIDelete;
    __typeof__(TessBaseAPIEnd) *TessBaseAPIEnd;
    __typeof__(TessBaseAPIInit3) *TessBaseAPIInit3;
    __typeof__(TessBaseAPISetPageSegMode) *TessBaseAPISetPageSegMode;
    __typeof__(TessBaseAPISetImage2) *TessBaseAPISetImage2;
    __typeof__(TessBaseAPISetSourceResolution) *TessBaseAPISetSourceResolution;
    __typeof__(TessBaseAPIGetUTF8Text) *TessBaseAPIGetUTF8Text;
    __typeof__(TessBaseAPIMeanTextConf) *TessBaseAPIMeanTextConf;
    __typeof__(TessDeleteText) *TessDeleteText;
    __typeof__(setMsgSeverity) *setMsgSeverity;
    __typeof__(pixReadMem) *pixReadMem;
    __typeof__(pixDestroy) *pixDestroy;
    __typeof__(pixGetWidth) *pixGetWidth;
    __typeof__(pixGetHeight) *pixGetHeight;
    __typeof__(pixConvertTo8) *pixConvertTo8;
    __typeof__(pixBackgroundNormSimple) *pixBackgroundNormSimple;
    __typeof__(pixDeskew) *pixDeskew;
};

/* The loaded libraries, or NULL (err: ERR_UNAVAILABLE, naming what is missing). Loads them
 * on the first call; thread-safe. */
const struct doc_libs *doc_libs(struct error *err);

#endif
