/* catalog/entries.c - the 39 connector manifests, as data.
 *
 * Seed 000's 19 connectors come first, grouped by category as its tables list them, then
 * seed 001's 20 outbound destinations in its order. Each connector's own settings are a
 * small field array above its manifest row, except for the time trackers that pull (toggl,
 * clockify, mite, timely, trakro): their row and settings are their JSON manifest in
 * connectors/, compiled in at build time (gen/catalog_manifests.inc). The fields that many connectors share (the
 * payment booking fields, the apiBaseUrl override) are declared once below and added by
 * capability flags, so catalog_field_at() is the only way to walk a connector's full
 * schema.
 *
 * Conventions of the data:
 * - Secrets (tokens, keys, signing secrets) are SETTING_SECRET; a webhook URL is a
 *   credential too, so it is SETTING_URL with SETTING_SENSITIVE. Neither carries a
 *   default, and secrets get a pattern only where the format is certain.
 * - A field with a default is optional: the default is what applies when it is left out.
 * - Patterns are POSIX extended regexes anchored at both ends, each with its format in
 *   words for the field errors.
 * - AWAIT marks the credential a provider shows only after the webhook URL is registered
 *   with it (the webhook's signing secret or ID); an install may await it.
 * Seed 001 leaves the plan to the destination limits (starter's is 0), so every
 * destination's min_plan is "starter". tests/unit/catalog/test_catalog_entries.c checks the
 * table against the seeds and these conventions. */
#include <string.h>

#include "catalog/catalog.h"

/* The catalog entries that are connector manifests (connectors/SLUG.json, those with a
 * "kind"): tools/manifest_embed checks them at build time and writes each one's settings
 * array and its row, CATALOG_ENTRY_<slug>, which the table below lists in its place. */
#include "gen/catalog_manifests.inc"

#define FIELDS(x) .fields = (x), .n_fields = sizeof(x) / sizeof((x)[0])

#define REQ SETTING_REQUIRED
#define SENSITIVE SETTING_SENSITIVE
#define AWAIT SETTING_AWAITABLE
#define SYNC CATALOG_CAP_SYNC

/* Shared value formats. */
#define PATTERN_DIGITS "^[0-9]+$"
#define PATTERN_ACCOUNT "^[0-9]{4,8}$"
#define PATTERN_EMAIL "^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$"
#define PATTERN_UUID                                                                       \
    "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
#define PATTERN_TELEGRAM_BOT_TOKEN "^[0-9]+:[A-Za-z0-9_-]+$"

/* ---- Fields added by capability flags ------------------------------------------------ */

static const char *const direction_values[] = {"expense", "revenue", NULL};
/* The rates of the charts' VAT codes (ledger/charts.c): Austria 20/13/10, Germany 19/7. */
static const char *const vat_rate_values[] = {"20", "19", "13", "10", "7", NULL};

static const struct setting_field payment_fields[] = {
    {.key = "autoPost", .label = "Post automatically", .type = SETTING_BOOL,
     .default_value = "false",
     .help = "Book each imported payment in the ledger at once; when off, imported payments "
             "wait for review before they are posted"},
    {.key = "direction", .label = "Booking direction", .type = SETTING_ENUM,
     .default_value = "\"expense\"", .allowed = direction_values,
     .help = "Whether this connector's payments are booked as expenses (money out) or as "
             "revenue (money in)"},
    {.key = "expenseAccount", .label = "Expense account", .type = SETTING_STRING,
     .pattern = PATTERN_ACCOUNT, .format = "4 to 8 digits",
     .help = "Ledger account number (4 to 8 digits) that expense payments are booked to"},
    {.key = "revenueAccount", .label = "Revenue account", .type = SETTING_STRING,
     .pattern = PATTERN_ACCOUNT, .format = "4 to 8 digits",
     .help = "Ledger account number (4 to 8 digits) that revenue payments are booked to"},
    {.key = "clearingAccount", .label = "Clearing account", .type = SETTING_STRING,
     .pattern = PATTERN_ACCOUNT, .format = "4 to 8 digits",
     .help = "Ledger account number (4 to 8 digits) of the provider's clearing or transit "
             "account, where payments wait until the payout reaches the bank"},
    {.key = "defaultSupplierId", .label = "Default supplier", .type = SETTING_STRING,
     .help = "ID of the supplier that payments are assigned to when none can be matched"},
    {.key = "vatRate", .label = "VAT rate (%)", .type = SETTING_ENUM, .allowed = vat_rate_values,
     .help = "VAT rate contained in this connector's gross amounts; the ledger then books the "
             "tax to the chart's VAT account with a VAT code (for DATEV and the VAT return). "
             "Leave it out when the payments carry no VAT or their rate is not known: the "
             "gross amount is then booked without a VAT code"},
};

static const struct setting_field api_base_url_fields[] = {
    {.key = "apiBaseUrl", .label = "API base URL", .type = SETTING_URL,
     .help = "Override the service's API base URL, e.g. for a sandbox or a test server"},
};

static const struct setting_field sync_fields[] = {
    {.key = "syncIntervalMinutes", .label = "Sync every (minutes)", .type = SETTING_INT,
     .default_value = "15", .min = 5, .max = 1440,
     .help = "How often the connector pulls new and changed records from the service, in "
             "minutes (5 to 1440); \"Sync now\" pulls at once"},
};

/* In the order catalog_field_at() returns them, after the connector's own fields. */
static const struct {
    unsigned cap;
    const struct setting_field *fields;
    size_t n_fields;
} cap_fields[] = {
    {CATALOG_CAP_PAYMENT, FIELDS(payment_fields)},
    {CATALOG_CAP_SYNC, FIELDS(sync_fields)},
    {CATALOG_CAP_API_BASE_URL, FIELDS(api_base_url_fields)},
};

/* ---- Seed 000: payments --------------------------------------------------------------- */

static const struct setting_field stripe_fields[] = {
    {.key = "webhookSecret", .label = "Webhook signing secret", .type = SETTING_SECRET,
     .flags = REQ | AWAIT,
     .help = "Signing secret of the webhook endpoint in the Stripe Dashboard (Developers > "
             "Webhooks), starting with whsec_; verifies the Stripe-Signature header"},
    {.key = "apiKey", .label = "Restricted API key", .type = SETTING_SECRET,
     .help = "Optional restricted key (rk_...) with read access to Balance, Payouts and Events; "
             "with it connectord pulls fees, payouts and the events whose webhooks failed"},
};

static const struct setting_field paypal_fields[] = {
    {.key = "webhookId", .label = "Webhook ID", .type = SETTING_STRING, .flags = REQ | AWAIT,
     .help = "ID of the webhook in the PayPal developer dashboard (Apps & Credentials > your "
             "app > Webhooks); PayPal checks each notification's signature against it"},
    {.key = "clientId", .label = "REST app client ID", .type = SETTING_STRING,
     .help = "Optional: client ID of the REST app (with the Transaction Search permission); with "
             "it and the secret connectord pulls fees and withdrawals to the bank"},
    {.key = "clientSecret", .label = "REST app secret", .type = SETTING_SECRET,
     .help = "Optional: the secret of that REST app"},
};

static const struct setting_field klarna_fields[] = {
    {.key = "apiKey", .label = "API username", .type = SETTING_STRING, .flags = REQ,
     .help = "Username (UID) of the Klarna API credentials from the Klarna Merchant Portal"},
    {.key = "apiSecret", .label = "API password", .type = SETTING_SECRET, .flags = REQ,
     .help = "Password that belongs to the Klarna API username"},
};

static const struct setting_field sumup_fields[] = {
    {.key = "apiKey", .label = "API key", .type = SETTING_SECRET, .flags = REQ,
     .help = "Secret API key from the SumUp dashboard (Developers > API keys)"},
    {.key = "merchantCode", .label = "Merchant code", .type = SETTING_STRING, .flags = REQ,
     .pattern = "^[A-Za-z0-9]+$", .format = "letters and digits only",
     .help = "SumUp merchant code of the account (letters and digits, e.g. MH4H92C7), shown "
             "in the SumUp dashboard under the profile"},
};

static const struct setting_field mollie_fields[] = {
    {.key = "apiKey", .label = "API key", .type = SETTING_SECRET, .flags = REQ,
     .help = "Live or test API key from the Mollie dashboard (Developers > API keys), starting "
             "with live_ or test_; used to fetch the payment a notification refers to"},
};

static const struct setting_field revolut_fields[] = {
    {.key = "webhookSecret", .label = "Webhook signing secret", .type = SETTING_SECRET,
     .flags = REQ | AWAIT,
     .help = "Signing secret of the webhook in Revolut Business, starting with wsk_; verifies "
             "the Revolut-Signature header"},
    {.key = "apiKey", .label = "API access token", .type = SETTING_SECRET,
     .help = "Optional Revolut Business API access token, used to fetch a transaction's full "
             "details; without it only the webhook's payload is imported"},
    {.key = "clientId", .label = "Business API client ID", .type = SETTING_STRING,
     .help = "Client ID Revolut Business shows after the certificate is uploaded (Settings > "
             "APIs > Business API); with privateKey it links the accounts to read their "
             "transactions (GET /api/bank/institutions?connector=revolut)"},
    {.key = "privateKey", .label = "Business API private key", .type = SETTING_SECRET,
     .help = "PEM private key whose X.509 certificate was uploaded to Revolut Business; signs "
             "the client assertion of each token request"},
    {.key = "pullsPerDay", .label = "Pulls per account and day", .type = SETTING_INT,
     .default_value = "24", .min = 1, .max = 96,
     .help = "How often a day each linked account's transactions are read (1 to 96)"},
};

static const struct setting_field adyen_fields[] = {
    {.key = "apiKey", .label = "API key", .type = SETTING_SECRET, .flags = REQ,
     .help = "API key of the web service user in the Adyen Customer Area (Developers > API "
             "credentials)"},
    {.key = "hmacKey", .label = "HMAC key", .type = SETTING_SECRET, .flags = REQ | AWAIT,
     .help = "HMAC key of the webhook in the Adyen Customer Area (a hexadecimal string); "
             "verifies the signature of each notification item"},
};

static const char *const bank_driver_values[] = {"gocardless", "enablebanking", NULL};

static const struct setting_field gocardless_fields[] = {
    {.key = "webhookSecret", .label = "Webhook endpoint secret", .type = SETTING_SECRET,
     .flags = REQ | AWAIT,
     .help = "Secret of the webhook endpoint in the GoCardless dashboard; verifies the "
             "Webhook-Signature header"},
    {.key = "secretId", .label = "Secret ID", .type = SETTING_STRING,
     .help = "Secret ID of the GoCardless Bank Account Data user secrets (Open Banking "
             "access); needed by the gocardless bank driver"},
    {.key = "secretKey", .label = "Secret key", .type = SETTING_SECRET,
     .help = "Secret key that belongs to the secret ID; exchanged for short-lived access "
             "tokens"},
    {.key = "bankDriver", .label = "Bank data service", .type = SETTING_ENUM,
     .default_value = "\"gocardless\"", .allowed = bank_driver_values,
     .help = "Who reads the bank accounts: gocardless (Bank Account Data, existing customers; "
             "secretId and secretKey) or enablebanking (Enable Banking; applicationId and "
             "applicationKey)"},
    {.key = "applicationId", .label = "Enable Banking application ID", .type = SETTING_STRING,
     .help = "ID of the application in the Enable Banking control panel (the JWT's kid)"},
    {.key = "applicationKey", .label = "Enable Banking private key", .type = SETTING_SECRET,
     .help = "PEM private key the Enable Banking control panel generated for the application; "
             "signs every request"},
    {.key = "pullsPerDay", .label = "Pulls per account and day", .type = SETTING_INT,
     .default_value = "4", .min = 1, .max = 4,
     .help = "Unattended reads of each linked account a day (1 to 4): PSD2 banks allow 4"},
};

/* ---- Seed 000: accounting ------------------------------------------------------------- */

static const struct setting_field finanzonline_fields[] = {
    {.key = "participantId", .label = "Participant ID (Teilnehmer-ID)", .type = SETTING_STRING,
     .flags = REQ, .pattern = "^[A-Za-z0-9]{8,12}$", .format = "8 to 12 letters or digits",
     .help = "Teilnehmer-Identifikation of the FinanzOnline account (8 to 12 letters or "
             "digits)"},
    {.key = "userId", .label = "User ID (Benutzer-ID)", .type = SETTING_STRING, .flags = REQ,
     .pattern = "^[A-Za-z0-9]{5,12}$", .format = "5 to 12 letters or digits",
     .help = "Benutzer-Identifikation of the FinanzOnline web service user (5 to 12 letters "
             "or digits); create a user with the web service right for this"},
    {.key = "pin", .label = "PIN", .type = SETTING_SECRET, .flags = REQ,
     .help = "PIN of the FinanzOnline web service user"},
    {.key = "taxNumber", .label = "Tax number (Steuernummer)", .type = SETTING_STRING,
     .flags = REQ, .pattern = "^[0-9]{2}[ -]?[0-9]{3}/?[0-9]{4}$",
     .format = "2 digits of the tax office and 7 digits, e.g. 12-345/6789 or 123456789",
     .help = "Austrian tax number of the business: 2-digit tax office number and 7 digits, "
             "e.g. 12-345/6789 or 123456789"},
};

/* Seed 000 names what DATEV needs from the business: Berater-Nr. and Mandanten-Nr. The
 * chart of accounts and the fiscal year start are the tenant's settings (GET/PUT
 * /api/settings), the one place they live; installs made before kept them here, and the
 * export no longer reads them (migration step 7 moved the fiscal year start over). */
static const struct setting_field datev_fields[] = {
    {.key = "consultantNumber", .label = "Consultant number (Berater-Nr.)",
     .type = SETTING_STRING, .flags = REQ, .pattern = "^[0-9]{4,7}$", .format = "4 to 7 digits",
     .help = "DATEV Beraternummer of the tax advisor (4 to 7 digits)"},
    {.key = "clientNumber", .label = "Client number (Mandanten-Nr.)", .type = SETTING_STRING,
     .flags = REQ, .pattern = "^[0-9]{1,5}$", .format = "1 to 5 digits",
     .help = "DATEV Mandantennummer of this business at the tax advisor (1 to 5 digits)"},
    {.key = "accountLength", .label = "Account number length", .type = SETTING_INT,
     .default_value = "4", .min = 4, .max = 8,
     .help = "Number of digits of a general ledger account (Sachkontenlänge, 4 to 8); 4 for "
             "the standard SKR 03 and SKR 04. The chart of accounts and the fiscal year "
             "start are the tenant's settings"},
};

/* ---- Seed 000: communication ---------------------------------------------------------- */

static const struct setting_field slack_assistant_fields[] = {
    {.key = "botToken", .label = "Bot token", .type = SETTING_SECRET, .flags = REQ,
     .help = "Bot User OAuth Token of the Slack app (OAuth & Permissions), starting with "
             "xoxb-"},
    {.key = "signingSecret", .label = "Signing secret", .type = SETTING_SECRET, .flags = REQ,
     .help = "Signing secret of the Slack app (Basic Information > App Credentials); verifies "
             "that requests come from Slack"},
};

static const struct setting_field telegram_assistant_fields[] = {
    {.key = "botToken", .label = "Bot token", .type = SETTING_SECRET, .flags = REQ,
     .pattern = PATTERN_TELEGRAM_BOT_TOKEN,
     .format = "the bot's number, a colon and its key, e.g. 123456789:AAE...",
     .help = "Token that @BotFather gave for the bot, e.g. 123456789:AAE..."},
    {.key = "botUsername", .label = "Bot username", .type = SETTING_STRING, .flags = REQ,
     .pattern = "^[A-Za-z][A-Za-z0-9_]{1,28}[Bb][Oo][Tt]$",
     .format = "5 to 32 letters, digits or underscores, starting with a letter and ending in bot",
     .help = "Username of the bot without the @ (5 to 32 characters, ending in bot), e.g. "
             "AcmeBooksBot"},
};

static const struct setting_field whatsapp_fields[] = {
    {.key = "accessToken", .label = "Access token", .type = SETTING_SECRET, .flags = REQ,
     .help = "Permanent access token of a system user with the whatsapp_business_messaging "
             "permission (Meta Business Settings)"},
    {.key = "phoneNumberId", .label = "Phone number ID", .type = SETTING_STRING, .flags = REQ,
     .pattern = PATTERN_DIGITS, .format = "digits only",
     .help = "ID of the sending phone number from WhatsApp > API Setup in the Meta app "
             "dashboard (not the phone number itself)"},
    {.key = "businessAccountId", .label = "WhatsApp Business Account ID (WABA)",
     .type = SETTING_STRING, .flags = REQ, .pattern = PATTERN_DIGITS, .format = "digits only",
     .help = "ID of the WhatsApp Business Account the phone number belongs to"},
    {.key = "appSecret", .label = "App secret", .type = SETTING_SECRET, .flags = REQ,
     .help = "Secret of the Meta app (App settings > Basic); verifies the "
             "X-Hub-Signature-256 header of incoming webhooks"},
    {.key = "verifyToken", .label = "Verify token", .type = SETTING_SECRET, .flags = REQ,
     .help = "A string of your choice, entered again in the Meta app's webhook settings; Meta "
             "sends it back when the webhook is registered"},
};

/* ---- Seed 000: productivity ----------------------------------------------------------- */

/* Settings of the destinations whose services issue short-lived OAuth access tokens
 * (oauth/): a refresh token with the OAuth client it was issued to, from which oauth/
 * keeps a fresh access token; the static accessToken stays for tokens that do not expire. */
#define OAUTH_REFRESH_FIELDS(service)                                                       \
    {.key = "refreshToken", .label = "Refresh token", .type = SETTING_SECRET,               \
     .help = "OAuth 2.0 refresh token of the " service " app; access tokens are then "     \
             "renewed before they expire (a rotated refresh token is kept by connectord)"}, \
    {.key = "clientId", .label = "OAuth client ID", .type = SETTING_STRING,                 \
     .help = "Client ID of the " service " app the refresh token was issued to"},          \
    {.key = "clientSecret", .label = "OAuth client secret", .type = SETTING_SECRET,         \
     .help = "Client secret of the " service " app the refresh token was issued to"}
#define OAUTH_BASE_URL_FIELD                                                                \
    {.key = "oauthBaseUrl", .label = "OAuth base URL", .type = SETTING_URL,                 \
     .help = "Override the base URL of the service's OAuth endpoints, e.g. for a test "    \
             "server"}

static const struct setting_field google_workspace_fields[] = {
    {.key = "clientId", .label = "OAuth client ID", .type = SETTING_STRING, .flags = REQ,
     .pattern = "^[A-Za-z0-9-]+\\.apps\\.googleusercontent\\.com$",
     .format = "an OAuth client ID ending in .apps.googleusercontent.com",
     .help = "Client ID of the OAuth web client in the Google Cloud console (APIs & Services > "
             "Credentials), ending in .apps.googleusercontent.com"},
    {.key = "clientSecret", .label = "OAuth client secret", .type = SETTING_SECRET,
     .flags = REQ, .help = "Client secret that belongs to the OAuth client ID"},
    OAUTH_BASE_URL_FIELD,
};

/* ---- Seed 001: outbound destinations -------------------------------------------------- */

static const struct setting_field slack_fields[] = {
    {.key = "webhookUrl", .label = "Incoming webhook URL", .type = SETTING_URL,
     .flags = REQ | SENSITIVE,
     .help = "Incoming webhook URL of the Slack app for the channel, e.g. "
             "https://hooks.slack.com/services/T.../B.../..."},
};

static const struct setting_field discord_fields[] = {
    {.key = "webhookUrl", .label = "Webhook URL", .type = SETTING_URL,
     .flags = REQ | SENSITIVE,
     .help = "Webhook URL from the channel's settings (Integrations > Webhooks), e.g. "
             "https://discord.com/api/webhooks/..."},
};

static const struct setting_field email_fields[] = {
    {.key = "apiKey", .label = "API key", .type = SETTING_SECRET, .flags = REQ,
     .help = "API key of the email delivery service that sends the messages"},
    {.key = "from", .label = "Sender address", .type = SETTING_STRING, .flags = REQ,
     .pattern = PATTERN_EMAIL, .format = "an email address such as name@example.com",
     .help = "Email address the messages are sent from; the email service must accept it as "
             "a sender (verified address or domain)"},
    {.key = "to", .label = "Recipients", .type = SETTING_STRING_LIST, .flags = REQ,
     .pattern = PATTERN_EMAIL,
     .format = "an email address such as name@example.com",
     .help = "Email addresses that receive each event, at least one"},
};

static const struct setting_field telegram_fields[] = {
    {.key = "botToken", .label = "Bot token", .type = SETTING_SECRET, .flags = REQ,
     .pattern = PATTERN_TELEGRAM_BOT_TOKEN,
     .format = "the bot's number, a colon and its key, e.g. 123456789:AAE...",
     .help = "Token that @BotFather gave for the bot, e.g. 123456789:AAE...; the bot must be "
             "a member of the chat"},
    {.key = "chatId", .label = "Chat ID", .type = SETTING_STRING, .flags = REQ,
     .pattern = "^(-?[0-9]+|@[A-Za-z][A-Za-z0-9_]{4,31})$",
     .format = "a numeric chat ID (e.g. -1001234567890) or the @username of a public channel",
     .help = "Numeric ID of the chat (negative for groups and channels, e.g. "
             "-1001234567890) or @username of a public channel"},
};

static const struct setting_field teams_fields[] = {
    {.key = "webhookUrl", .label = "Incoming webhook URL", .type = SETTING_URL,
     .flags = REQ | SENSITIVE,
     .help = "Incoming webhook URL of the Teams channel (a Workflows or connector webhook)"},
};

static const struct setting_field segment_fields[] = {
    {.key = "writeKey", .label = "Write key", .type = SETTING_SECRET, .flags = REQ,
     .help = "Write key of the Segment HTTP API source the events are tracked to"},
};

static const struct setting_field mixpanel_fields[] = {
    {.key = "projectToken", .label = "Project token", .type = SETTING_SECRET, .flags = REQ,
     .help = "Token of the Mixpanel project (Project Settings > Access Keys)"},
};

static const struct setting_field amplitude_fields[] = {
    {.key = "apiKey", .label = "API key", .type = SETTING_SECRET, .flags = REQ,
     .help = "API key of the Amplitude project (Settings > Projects)"},
};

static const struct setting_field ga4_fields[] = {
    {.key = "measurementId", .label = "Measurement ID", .type = SETTING_STRING, .flags = REQ,
     .pattern = "^G-[A-Z0-9]+$", .format = "G- and capital letters or digits, e.g. G-ABC123XYZ9",
     .help = "Measurement ID of the GA4 web data stream, e.g. G-ABC123XYZ9"},
    {.key = "apiSecret", .label = "Measurement Protocol API secret", .type = SETTING_SECRET,
     .flags = REQ,
     .help = "API secret created under the data stream's Measurement Protocol API secrets"},
};

static const struct setting_field zapier_fields[] = {
    {.key = "webhookUrl", .label = "Catch hook URL", .type = SETTING_URL,
     .flags = REQ | SENSITIVE,
     .help = "URL of the Zap's \"Webhooks by Zapier\" catch hook trigger, e.g. "
             "https://hooks.zapier.com/hooks/catch/..."},
};

static const struct setting_field n8n_fields[] = {
    {.key = "webhookUrl", .label = "Webhook URL", .type = SETTING_URL,
     .flags = REQ | SENSITIVE,
     .help = "Production URL of the workflow's Webhook trigger node (POST)"},
};

static const struct setting_field make_fields[] = {
    {.key = "webhookUrl", .label = "Webhook URL", .type = SETTING_URL,
     .flags = REQ | SENSITIVE,
     .help = "Address of the scenario's custom webhook, e.g. https://hook.eu1.make.com/..."},
};

static const struct setting_field pagerduty_fields[] = {
    {.key = "routingKey", .label = "Routing key", .type = SETTING_SECRET, .flags = REQ,
     .help = "Integration (routing) key of an Events API v2 integration on the PagerDuty "
             "service"},
};

static const char *const datadog_site_values[] = {
    "datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com",
    "datadoghq.eu",  "ap1.datadoghq.com", "ddog-gov.com",
    NULL,
};

static const struct setting_field datadog_fields[] = {
    {.key = "apiKey", .label = "API key", .type = SETTING_SECRET, .flags = REQ,
     .help = "API key of the Datadog organization (Organization Settings > API Keys)"},
    {.key = "site", .label = "Site", .type = SETTING_ENUM, .default_value = "\"datadoghq.com\"",
     .allowed = datadog_site_values,
     .help = "Datadog site the organization is on, as in its address (e.g. datadoghq.eu for "
             "EU1); US1 (datadoghq.com) when left out"},
};

static const struct setting_field opsgenie_fields[] = {
    {.key = "apiKey", .label = "API key", .type = SETTING_SECRET, .flags = REQ,
     .help = "API key of an Opsgenie API integration with create access"},
};

static const struct setting_field bigquery_fields[] = {
    {.key = "projectId", .label = "Project ID", .type = SETTING_STRING, .flags = REQ,
     .pattern = "^([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$",
     .format = "a Google Cloud project ID: 6 to 30 lowercase letters, digits or "
               "hyphens, starting with a letter",
     .help = "ID of the Google Cloud project that holds the dataset, e.g. my-gcp-project"},
    {.key = "datasetId", .label = "Dataset ID", .type = SETTING_STRING, .flags = REQ,
     .pattern = "^[A-Za-z0-9_]+$", .format = "letters, digits and underscores",
     .help = "ID of the BigQuery dataset (letters, digits and underscores), e.g. "
             "dunmore_events"},
    {.key = "tableId", .label = "Table ID", .type = SETTING_STRING, .flags = REQ,
     .help = "Name of the table the events are streamed into, e.g. events"},
    {.key = "serviceAccountKey", .label = "Service account key", .type = SETTING_SECRET,
     .help = "JSON key file of a service account allowed to insert into the table; it signs "
             "its own access tokens, renewed before they expire"},
    {.key = "accessToken", .label = "Access token", .type = SETTING_SECRET,
     .help = "OAuth 2.0 access token with the bigquery.insertdata scope or wider, when no "
             "service account key is given (it is not renewed)"},
    OAUTH_BASE_URL_FIELD,
};

static const struct setting_field hubspot_fields[] = {
    {.key = "accessToken", .label = "Private app access token", .type = SETTING_SECRET,
     .flags = REQ,
     .help = "Access token of a HubSpot private app with CRM write scopes, starting with "
             "pat-"},
};

static const struct setting_field salesforce_fields[] = {
    {.key = "instanceUrl", .label = "Instance URL", .type = SETTING_URL, .flags = REQ,
     .help = "Address of the Salesforce org, e.g. https://acme.my.salesforce.com"},
    {.key = "accessToken", .label = "Access token", .type = SETTING_SECRET,
     .help = "OAuth access token of a connected app with API access to the org, when no "
             "refresh token is given (it is not renewed)"},
    OAUTH_REFRESH_FIELDS("Salesforce connected"),
};

static const struct setting_field quickbooks_fields[] = {
    {.key = "accessToken", .label = "Access token", .type = SETTING_SECRET,
     .help = "OAuth 2.0 access token of the QuickBooks Online app (accounting scope), when "
             "no refresh token is given (it is not renewed)"},
    OAUTH_REFRESH_FIELDS("QuickBooks Online"),
    OAUTH_BASE_URL_FIELD,
    {.key = "realmId", .label = "Realm ID (company ID)", .type = SETTING_STRING, .flags = REQ,
     .pattern = PATTERN_DIGITS,
     .format = "digits only",
     .help = "Company ID of the QuickBooks Online company"},
};

static const struct setting_field xero_fields[] = {
    {.key = "accessToken", .label = "Access token", .type = SETTING_SECRET,
     .help = "OAuth 2.0 access token of the Xero app (accounting scopes), when no refresh "
             "token is given (it is not renewed)"},
    OAUTH_REFRESH_FIELDS("Xero"),
    OAUTH_BASE_URL_FIELD,
    {.key = "tenantId", .label = "Tenant ID", .type = SETTING_STRING, .flags = REQ,
     .pattern = PATTERN_UUID, .format = "a UUID (8-4-4-4-12 hexadecimal digits)",
     .help = "ID of the Xero organisation (a UUID from the connections endpoint), sent as the "
             "xero-tenant-id header"},
};

/* ---- The events each payment provider's file books ------------------------------------ */

/* Stripe: invoices (before basil they name their payment intent; from basil on
 * invoice_payment.paid links them to it), Checkout and Payment Links, payment intents and
 * charges without an invoice, their failures and refunds. */
static const char *const stripe_events[] = {
    "invoice.paid", "invoice.payment_succeeded", "invoice_payment.paid",
    "invoice.payment_failed", "checkout.session.completed", "payment_intent.succeeded",
    "payment_intent.payment_failed", "charge.succeeded", "charge.failed", "charge.refunded",
    NULL};
static const char *const paypal_events[] = {"PAYMENT.CAPTURE.COMPLETED",
                                            "PAYMENT.CAPTURE.DENIED",
                                            "PAYMENT.CAPTURE.DECLINED",
                                            "PAYMENT.CAPTURE.REFUNDED", NULL};
/* Klarna pushes to the order's merchant_urls.push (Checkout) or notifies pending orders
 * (Payments); either way the order is fetched and its status booked. */
static const char *const klarna_events[] = {"push", "FRAUD_RISK_ACCEPTED", "FRAUD_RISK_REJECTED",
                                            "FRAUD_RISK_STOPPED", NULL};
static const char *const sumup_events[] = {"CHECKOUT_STATUS_CHANGED", NULL};
/* Mollie calls the payment's webhookUrl on every status change; there is nothing to pick. */
static const char *const mollie_events[] = {"payment status changes (paid, failed, canceled, "
                                            "expired) and refunds",
                                            NULL};
static const char *const revolut_events[] = {
    "TransactionCreated", "TransactionStateChanged", "ORDER_COMPLETED",
    "ORDER_PAYMENT_DECLINED", "ORDER_PAYMENT_FAILED", "ORDER_FAILED", NULL};
static const char *const adyen_events[] = {"AUTHORISATION", "REFUND", NULL};
static const char *const gocardless_events[] = {
    "payments.confirmed", "payments.paid_out", "payments.failed", "payments.cancelled",
    "payments.customer_approval_denied", "payments.charged_back", "refunds.paid",
    "refunds.refund_settled", NULL};

/* ---- The table ------------------------------------------------------------------------ */

#define PAY CATALOG_CAP_PAYMENT
#define API CATALOG_CAP_API_BASE_URL

static const struct connector_manifest manifests[] = {
    /* Seed 000: payments (8). */
    {.slug = "stripe", .name = "Stripe", .description = "Invoice webhook events",
     .kind = KIND_WEBHOOK, .category = "payments", .min_plan = "starter",
     .auth_label = "Webhook Secret", .webhook_setup =
     "In the Stripe Dashboard, open Developers > Webhooks, add an endpoint, paste "
     "this URL as its endpoint URL and select the invoice, payment intent, checkout "
     "session and charge events",
     FIELDS(stripe_fields), .caps = PAY | API,
     .webhook_events = stripe_events},
    {.slug = "paypal", .name = "PayPal", .description = "Payment notifications",
     .kind = KIND_WEBHOOK, .category = "payments", .min_plan = "starter",
     .auth_label = "Webhook-ID", .webhook_setup =
     "In the PayPal developer dashboard, open Apps & Credentials, choose your app, "
     "add a webhook with this URL and select the payment capture events",
     FIELDS(paypal_fields), .caps = PAY | API,
     .webhook_events = paypal_events},
    {.slug = "klarna", .name = "Klarna", .description = "Sofort, Ratenkauf, Pay Later",
     .kind = KIND_WEBHOOK, .category = "payments", .min_plan = "starter",
     .auth_label = "API Key + Secret", FIELDS(klarna_fields), .caps = PAY | API,
     .webhook_events = klarna_events},
    {.slug = "sumup", .name = "SumUp", .description = "POS / card reader transactions",
     .kind = KIND_WEBHOOK, .category = "payments", .min_plan = "starter",
     .auth_label = "API Key + Merchant Code", FIELDS(sumup_fields), .caps = PAY | API,
     .webhook_events = sumup_events},
    {.slug = "mollie", .name = "Mollie", .description = "Payment confirmations",
     .kind = KIND_WEBHOOK, .category = "payments", .min_plan = "starter",
     .auth_label = "API Key", FIELDS(mollie_fields), .caps = PAY | API,
     .webhook_events = mollie_events},
    {.slug = "revolut", .name = "Revolut Business", .description = "Debit transactions",
     .kind = KIND_HYBRID, .category = "payments", .min_plan = "starter",
     .auth_label = "Webhook Secret", .webhook_setup =
     "In Revolut Business, open the API settings and add a webhook with this URL (or "
     "create it through the Business API's webhooks endpoint)",
     FIELDS(revolut_fields), .caps = PAY | API,
     .webhook_events = revolut_events},
    {.slug = "adyen", .name = "Adyen",
     .description = "Enterprise payments (online, POS, in-app)", .kind = KIND_WEBHOOK,
     .category = "payments", .min_plan = "pro", .auth_label = "API Key + HMAC",
     .webhook_setup =
     "In the Adyen Customer Area, open Developers > Webhooks, create a Standard "
     "webhook with this URL as its server configuration and generate its HMAC key",
     FIELDS(adyen_fields), .caps = PAY | API,
     .webhook_events = adyen_events},
    {.slug = "gocardless", .name = "GoCardless",
     .description = "Open Banking (PSD2), 2300+ banks AT/DE", .kind = KIND_HYBRID,
     .category = "payments", .min_plan = "pro", .auth_label = "OAuth",
     .webhook_setup =
     "In the GoCardless dashboard, open Developers > Create > Webhook endpoint and "
     "enter this URL",
     FIELDS(gocardless_fields), .caps = PAY | API,
     .webhook_events = gocardless_events},

    /* Seed 000: accounting (2). */
    {.slug = "finanzonline", .name = "FinanzOnline",
     .description = "Submit VAT returns to Austrian tax authority (SOAP)", .kind = KIND_API,
     .category = "accounting", .min_plan = "pro", .auth_label = "Teilnehmer-ID + PIN",
     FIELDS(finanzonline_fields), .caps = API},
    {.slug = "datev", .name = "DATEV Export",
     .description = "Export bookings in EXTF v700 format for tax advisors", .kind = KIND_API,
     .category = "accounting", .min_plan = "starter",
     .auth_label = "Berater-Nr. + Mandanten-Nr.", FIELDS(datev_fields)},

    /* Seed 000: communication (3). */
    {.slug = "slack-assistant", .name = "Slack",
     .description = "AI accounting assistant as Slack bot", .kind = KIND_HYBRID,
     .category = "communication", .min_plan = "pro",
     .auth_label = "Bot Token + Signing Secret", FIELDS(slack_assistant_fields), .caps = API},
    {.slug = "telegram-assistant", .name = "Telegram",
     .description = "AI accounting assistant as Telegram bot", .kind = KIND_HYBRID,
     .category = "communication", .min_plan = "pro", .auth_label = "Bot Token + Username",
     FIELDS(telegram_assistant_fields), .caps = API},
    {.slug = "whatsapp", .name = "WhatsApp Business",
     .description = "AI assistant via WhatsApp — send receipts, query invoices",
     .kind = KIND_HYBRID, .category = "communication", .min_plan = "business",
     .auth_label = "Access Token + Phone ID + WABA", FIELDS(whatsapp_fields), .caps = API},

    /* Seed 000: productivity (6). */
    {.slug = "google-workspace", .name = "Google Workspace",
     .description = "Calendar & Gmail in the dashboard", .kind = KIND_API,
     .category = "productivity", .min_plan = "pro", .auth_label = "OAuth Client ID + Secret",
     FIELDS(google_workspace_fields), .caps = API},
    /* The time trackers that pull: each one's entry and settings are its manifest,
     * connectors/SLUG.json (build/gen/catalog_manifests.inc, see the top). */
    CATALOG_ENTRY_timely,
    CATALOG_ENTRY_toggl,
    CATALOG_ENTRY_clockify,
    CATALOG_ENTRY_mite,
    CATALOG_ENTRY_trakro,

    /* Seed 001: destinations (20). Those configured by a full URL call no fixed API host
     * and so take no apiBaseUrl. */
    {.slug = "slack", .name = "Slack", .description = "Posts payment events to a Slack channel",
     .kind = KIND_DESTINATION, .category = "communication", .min_plan = "starter",
     .auth_label = "Incoming Webhook URL", FIELDS(slack_fields)},
    {.slug = "discord", .name = "Discord",
     .description = "Posts payment events to a Discord channel", .kind = KIND_DESTINATION,
     .category = "communication", .min_plan = "starter", .auth_label = "Webhook URL",
     FIELDS(discord_fields)},
    {.slug = "email", .name = "Email", .description = "Sends payment events by email",
     .kind = KIND_DESTINATION, .category = "communication", .min_plan = "starter",
     .auth_label = "API Key", FIELDS(email_fields), .caps = API},
    {.slug = "telegram", .name = "Telegram",
     .description = "Sends payment events to a Telegram chat", .kind = KIND_DESTINATION,
     .category = "communication", .min_plan = "starter", .auth_label = "Bot Token",
     FIELDS(telegram_fields), .caps = API},
    {.slug = "teams", .name = "Microsoft Teams",
     .description = "Posts payment events to a Microsoft Teams channel",
     .kind = KIND_DESTINATION, .category = "communication", .min_plan = "starter",
     .auth_label = "Incoming Webhook URL", FIELDS(teams_fields)},
    {.slug = "segment", .name = "Segment", .description = "Tracks payment events in Segment",
     .kind = KIND_DESTINATION, .category = "analytics", .min_plan = "starter",
     .auth_label = "Write Key", FIELDS(segment_fields), .caps = API},
    {.slug = "mixpanel", .name = "Mixpanel", .description = "Tracks payment events in Mixpanel",
     .kind = KIND_DESTINATION, .category = "analytics", .min_plan = "starter",
     .auth_label = "Project Token", FIELDS(mixpanel_fields), .caps = API},
    {.slug = "amplitude", .name = "Amplitude",
     .description = "Tracks payment events in Amplitude", .kind = KIND_DESTINATION,
     .category = "analytics", .min_plan = "starter", .auth_label = "API Key",
     FIELDS(amplitude_fields), .caps = API},
    {.slug = "ga4", .name = "Google Analytics 4",
     .description = "Sends payment events to GA4 via the Measurement Protocol",
     .kind = KIND_DESTINATION, .category = "analytics", .min_plan = "starter",
     .auth_label = "Measurement ID + API Secret", FIELDS(ga4_fields), .caps = API},
    {.slug = "zapier", .name = "Zapier", .description = "Triggers a Zap for each payment event",
     .kind = KIND_DESTINATION, .category = "automation", .min_plan = "starter",
     .auth_label = "Webhook URL", FIELDS(zapier_fields)},
    {.slug = "n8n", .name = "n8n", .description = "Triggers an n8n workflow for each event",
     .kind = KIND_DESTINATION, .category = "automation", .min_plan = "starter",
     .auth_label = "Webhook URL", FIELDS(n8n_fields)},
    {.slug = "make", .name = "Make", .description = "Triggers a Make scenario for each event",
     .kind = KIND_DESTINATION, .category = "automation", .min_plan = "starter",
     .auth_label = "Webhook URL", FIELDS(make_fields)},
    {.slug = "pagerduty", .name = "PagerDuty",
     .description = "Raises PagerDuty alerts for payment events", .kind = KIND_DESTINATION,
     .category = "monitoring", .min_plan = "starter", .auth_label = "Routing Key",
     FIELDS(pagerduty_fields), .caps = API},
    {.slug = "datadog", .name = "Datadog",
     .description = "Sends payment events to the Datadog event stream",
     .kind = KIND_DESTINATION, .category = "monitoring", .min_plan = "starter",
     .auth_label = "API Key", FIELDS(datadog_fields), .caps = API},
    {.slug = "opsgenie", .name = "Opsgenie",
     .description = "Creates Opsgenie alerts for payment events", .kind = KIND_DESTINATION,
     .category = "monitoring", .min_plan = "starter", .auth_label = "API Key",
     FIELDS(opsgenie_fields), .caps = API},
    {.slug = "bigquery", .name = "BigQuery",
     .description = "Streams payment events into a BigQuery table", .kind = KIND_DESTINATION,
     .category = "data", .min_plan = "starter", .auth_label = "Access Token",
     FIELDS(bigquery_fields), .caps = API},
    {.slug = "hubspot", .name = "HubSpot",
     .description = "Records payment events on HubSpot contacts", .kind = KIND_DESTINATION,
     .category = "crm", .min_plan = "starter", .auth_label = "Access Token",
     FIELDS(hubspot_fields), .caps = API},
    {.slug = "salesforce", .name = "Salesforce",
     .description = "Records payment events in Salesforce", .kind = KIND_DESTINATION,
     .category = "crm", .min_plan = "starter", .auth_label = "Instance URL + Access Token",
     FIELDS(salesforce_fields)},
    {.slug = "quickbooks", .name = "QuickBooks",
     .description = "Records payments in QuickBooks Online", .kind = KIND_DESTINATION,
     .category = "accounting", .min_plan = "starter",
     .auth_label = "Access Token + Realm ID", FIELDS(quickbooks_fields), .caps = API},
    {.slug = "xero", .name = "Xero", .description = "Records payments in Xero",
     .kind = KIND_DESTINATION, .category = "accounting", .min_plan = "starter",
     .auth_label = "Access Token + Tenant ID", FIELDS(xero_fields), .caps = API},
};

#define N_MANIFESTS (sizeof manifests / sizeof manifests[0])

const struct connector_manifest *catalog_all(size_t *count)
{
    *count = N_MANIFESTS;
    return manifests;
}

const struct connector_manifest *catalog_find(const char *slug)
{
    if (!slug)
        return NULL;
    for (size_t i = 0; i < N_MANIFESTS; i++)
        if (strcmp(manifests[i].slug, slug) == 0)
            return &manifests[i];
    return NULL;
}

const char *catalog_kind_name(enum connector_kind kind)
{
    switch (kind) {
    case KIND_WEBHOOK:
        return "webhook";
    case KIND_API:
        return "api";
    case KIND_HYBRID:
        return "hybrid";
    case KIND_DESTINATION:
        return "destination";
    }
    return "unknown";
}

bool catalog_kind_has_webhook(enum connector_kind kind)
{
    return kind == KIND_WEBHOOK || kind == KIND_HYBRID;
}

const struct setting_field *catalog_field_at(const struct connector_manifest *m, size_t i)
{
    if (i < m->n_fields)
        return &m->fields[i];
    i -= m->n_fields;
    for (size_t c = 0; c < sizeof cap_fields / sizeof cap_fields[0]; c++) {
        if (!(m->caps & cap_fields[c].cap))
            continue;
        if (i < cap_fields[c].n_fields)
            return &cap_fields[c].fields[i];
        i -= cap_fields[c].n_fields;
    }
    return NULL;
}

const struct setting_field *catalog_field_find(const struct connector_manifest *m,
                                               const char *key)
{
    const struct setting_field *f;

    if (!key)
        return NULL;
    for (size_t i = 0; (f = catalog_field_at(m, i)) != NULL; i++)
        if (strcmp(f->key, key) == 0)
            return f;
    return NULL;
}

bool catalog_field_is_secret(const struct setting_field *f)
{
    return f->type == SETTING_SECRET || (f->flags & SETTING_SENSITIVE) != 0;
}
