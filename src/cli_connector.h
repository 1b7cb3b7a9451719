/* cli_connector.h - the `connectord connector` commands (see cli_connector.c). Both return
 * the process's exit status: 0 passed, 1 a check or sample failed, 2 the file is unreadable
 * or missing. */
#ifndef CONNECTORD_CLI_CONNECTOR_H
#define CONNECTORD_CLI_CONNECTOR_H

/* Prints the automated checks of the manifest at path, one JSON object per line. */
int cli_connector_validate(const char *path);
/* Runs the manifest's samples through the pipeline (rolled back) and prints each. */
int cli_connector_test(const char *path);

#endif
