/* documents/ocr.c - text from an image with Tesseract (its C API) and Leptonica.
 *
 * A phone photo of a receipt is grey-scaled, its uneven light flattened (background
 * normalization) and its few degrees of skew undone before Tesseract reads it with the
 * German and English models. One recognition runs at a time per process: each takes about
 * 125 MB and a second or two of a core, and OpenMP is limited to one thread so that an
 * upload cannot take every core of the machine. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "documents/documents_int.h"
#include "documents/libs.h"

#define OCR_LANGUAGES "deu+eng"
#define OCR_MAX_PIXELS (40L * 1000 * 1000)

static pthread_mutex_t ocr_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t ocr_once = PTHREAD_ONCE_INIT;
static const struct doc_libs *L; /* set by ocr_setup, or NULL with setup_err */
static struct error setup_err;

static void ocr_setup(void)
{
    /* before the first recognition creates OpenMP's threads; an operator's value wins */
    setenv("OMP_THREAD_LIMIT", "1", 0);
    L = doc_libs(&setup_err);
    if (L) /* Leptonica would print to stderr; errors are values */
        L->setMsgSeverity(L_SEVERITY_NONE);
}

/* Grey, even light, straight: what Tesseract reads best. Returns a new PIX or NULL. */
static PIX *prepare(PIX *in)
{
    PIX *grey = L->pixConvertTo8(in, 0);
    if (!grey)
        return NULL;
    PIX *even = L->pixBackgroundNormSimple(grey, NULL, NULL);
    PIX *base = even ? even : grey;
    PIX *straight = L->pixDeskew(base, 0);
    if (even)
        L->pixDestroy(&even);
    if (straight) {
        L->pixDestroy(&grey);
        return straight;
    }
    return grey;
}

static int recognize(PIX *pix, char **text, int *confidence, struct error *err)
{
    TessBaseAPI *api = L->TessBaseAPICreate();
    if (!api)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int rc = -1;
    if (L->TessBaseAPIInit3(api, NULL, OCR_LANGUAGES) != 0) {
        error_set(err, ERR_CONFIG, "the OCR models (%s) are not installed", OCR_LANGUAGES);
        goto out;
    }
    L->TessBaseAPISetPageSegMode(api, PSM_AUTO);
    L->TessBaseAPISetImage2(api, pix);
    L->TessBaseAPISetSourceResolution(api, 300);
    char *t = L->TessBaseAPIGetUTF8Text(api);
    if (!t) {
        error_set(err, ERR_VALIDATION, "no text was recognized in the image");
        goto out;
    }
    *text = strdup(t);
    L->TessDeleteText(t);
    *confidence = L->TessBaseAPIMeanTextConf(api);
    if (*confidence < 0)
        *confidence = 0;
    rc = *text ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
out:
    L->TessBaseAPIEnd(api);
    L->TessBaseAPIDelete(api);
    return rc;
}

int ocr_image(const unsigned char *img, size_t len, char **text, int *confidence,
              struct error *err)
{
    *text = NULL;
    *confidence = 0;
    pthread_once(&ocr_once, ocr_setup);
    if (!L) {
        *err = setup_err;
        return -1;
    }
    PIX *pix = L->pixReadMem(img, len);
    if (!pix)
        return error_set(err, ERR_VALIDATION, "the image cannot be decoded");
    if ((long)L->pixGetWidth(pix) * L->pixGetHeight(pix) > OCR_MAX_PIXELS) {
        L->pixDestroy(&pix);
        return error_set(err, ERR_VALIDATION, "the image is larger than 40 megapixels");
    }
    PIX *ready = prepare(pix);
    L->pixDestroy(&pix);
    if (!ready)
        return error_set(err, ERR_VALIDATION, "the image cannot be converted to grey");
    pthread_mutex_lock(&ocr_lock);
    int rc = recognize(ready, text, confidence, err);
    pthread_mutex_unlock(&ocr_lock);
    L->pixDestroy(&ready);
    return rc;
}
