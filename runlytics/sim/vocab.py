"""Word lists the synthetic history is drawn from.

Everything here is plain data: workflow titles, failure texts per category,
parameter definitions, proxy values and the hostile strings that
``Simulator(hostile=True)`` sprinkles into text fields. Failure categories
are those the real server's classifier writes (an open set); the proxy
enum is the reference's, held by :mod:`runlytics.schema`.

Example:
    >>> len(FAILURES["ANTI_BOT_DETECTION"]), "UNKNOWN" in FAILURES
    (4, True)
"""

from __future__ import annotations

from ..schema import PROXY_LOCATIONS

__all__ = [
    "CODE_ONLY_ERRORS",
    "FAILURES",
    "GEO_PROXIES",
    "HOSTILE",
    "PARAMETERS",
    "PROXY_ENUM",
    "SITES",
    "TIMEOUT_CATEGORIES",
    "TITLES",
]

TITLES: tuple[str, ...] = (
    "Invoice Download - Acme Portal", "Job Application Filler", "Order Status Sync",
    "Insurance Quote - Auto", "Insurance Quote - Home", "Vendor Onboarding Form",
    "Shipment Tracking Scraper", "Competitor Price Check", "Benefits Enrollment",
    "Permit Application - City Portal", "Medical Records Request", "Utility Bill Download",
    "Lead Enrichment", "Tax Form 1099 Retrieval", "Supplier Catalog Sync",
    "Expense Report Upload", "Patient Eligibility Check", "Real Estate Listing Monitor",
    "Bank Statement Export", "Contract Renewal Check", "Freight Quote Request",
    "Product Review Collector", "Government Grant Search", "Payroll Report Export",
    "Hotel Rate Scraper", "Carrier Portal Login Check", "Customs Declaration Filing",
    "Warranty Claim Submission", "SaaS Seat Audit", "Court Records Lookup",
)

SITES: tuple[str, ...] = (
    "portal.example.com", "billing.acme-corp.example", "carrier.example.net",
    "quotes.insure.example", "jobs.example.org", "records.county.example.gov",
)

# The proxy_location enum, in the reference's order (the schema holds it).
PROXY_ENUM: tuple[str, ...] = PROXY_LOCATIONS
GEO_PROXIES: tuple[dict[str, str | None], ...] = (
    {"country": "US", "subdivision": "CA", "city": None},
    {"country": "US", "subdivision": "NY", "city": "New York"},
    {"country": "US", "subdivision": None, "city": None},
    {"country": "GB", "subdivision": None, "city": None},
    {"country": "DE", "subdivision": "BE", "city": "Berlin"},
)

# category -> (failure_reason templates, reason_code, LLM-style reasoning, task error codes).
# "{site}" is filled per workflow. Keyword-matched entries use the fixed reasoning
# "Keywords matched", as the recorded responses do.
FAILURES: dict[str, tuple[tuple[str, ...], str, str, tuple[str, ...]]] = {
    "ANTI_BOT_DETECTION": (
        ("Blocked by bot protection on https://{site}: a CAPTCHA challenge could not be solved",
         "Access denied (403) by the website's bot protection"),
        "CAPTCHA_BLOCKED", "The final screenshot shows a CAPTCHA challenge page.",
        ("CAPTCHA_DETECTED", "BOT_BLOCKED")),
    "PROXY_ERROR": (
        ("Failed to navigate to url https://{site}. Error message: "
         "net::ERR_PROXY_CONNECTION_FAILED",
         "Failed to navigate to url https://{site}. Error message: "
         "net::ERR_TUNNEL_CONNECTION_FAILED"),
        "PROXY_UNREACHABLE", "The browser could not connect through the configured proxy.",
        ("PROXY_FAILED",)),
    "BROWSER_ERROR": (
        ("Target page, context or browser has been closed",
         "Browser crashed while rendering https://{site}"),
        "BROWSER_CRASH", "The browser process exited during the run.", ()),
    "NAVIGATION_FAILURE": (
        ("Failed to navigate to url https://{site}. Error message: net::ERR_NAME_NOT_RESOLVED",
         "Failed to navigate to url https://{site}. Error message: net::ERR_CONNECTION_RESET"),
        "NAVIGATION_ERROR", "The starting URL could not be loaded.", ("NAVIGATION_FAILED",)),
    "INFRASTRUCTURE_ERROR": (
        ("Unexpected error: the worker restarted while the run was in progress",
         "Unexpected error: OperationalError"),
        "WORKER_LOST", "The run stopped without a browser or page error.", ()),
    "ELEMENT_STATE_TIMEOUT": (
        ("Timed out waiting for element #submit to become enabled",
         "Element 'Download' stayed disabled for 30 seconds"),
        "ELEMENT_DISABLED", "The target element never became interactable.",
        ("ELEMENT_TIMEOUT",)),
    "PAGE_LOAD_TIMEOUT": (
        ("Page load timed out after 60 seconds: https://{site}/dashboard",
         "Timeout 30000ms exceeded while waiting for the page to load"),
        "PAGE_TIMEOUT", "The page kept loading until the timeout.", ("PAGE_LOAD_TIMEOUT",)),
    "AUTH_FAILURE": (
        ("Failed to log in: the site rejected the provided credentials",
         "Login failed: invalid username or password on https://{site}/login"),
        "INVALID_LOGIN", "The page shows an 'invalid password' message after submitting.",
        ("INVALID_CREDENTIALS", "LOGIN_FAILED")),
    "CREDENTIAL_ERROR": (
        ("Credential cred_missing not found for the login block",
         "TOTP code was not received within 10 minutes"),
        "CREDENTIAL_MISSING", "The credential or one-time code needed to log in was missing.",
        ("CREDENTIAL_NOT_FOUND", "TOTP_TIMEOUT")),
    "LLM_ERROR": (
        ("LLM provider error: rate limit exceeded (429)",
         "LLM request failed: the response could not be parsed as JSON"),
        "LLM_PROVIDER", "The language model call failed.", ()),
    "DATA_EXTRACTION_FAILURE": (
        ("Extracted data did not match the schema: missing field 'invoice_total'",
         "No data could be extracted from https://{site}/orders"),
        "SCHEMA_MISMATCH", "The extraction output is missing required fields.",
        ("EXTRACTION_FAILED", "NO_RESULTS")),
    "ELEMENT_NOT_FOUND": (
        ("Could not find the element to interact with: 'Download invoice' button",
         "Element with id 'AAAB' not found on https://{site}"),
        "MISSING_ELEMENT", "The expected button is not on the page.", ("ELEMENT_NOT_FOUND",)),
    "WRONG_PAGE_STATE": (
        ("Expected the order confirmation page but the page shows the cart",
         "The page asks to accept new terms of service before continuing"),
        "UNEXPECTED_PAGE", "The page is not in the state the goal expects.",
        ("UNEXPECTED_PAGE",)),
    "MAX_STEPS_EXCEEDED": (
        ("Reached the maximum number of steps (25) without completing the goal",
         "Max steps per run exceeded: 50"),
        "STEP_LIMIT", "The agent looped on the same page until the step limit.",
        ("MAX_STEPS_EXCEEDED",)),
    "LLM_REASONING_ERROR": (
        ("The agent could not decide on an action for the current page",
         "Goal is ambiguous: several matching items found on https://{site}"),
        "AMBIGUOUS_GOAL", "The model's reasoning contradicts what the page shows.", ()),
    "PARAMETER_BINDING_ERROR": (
        ("Missing value for parameter 'login_url'",
         "Parameter 'invoice_month' has an invalid value"),
        "BAD_PARAMETER", "A workflow parameter had no usable value.", ("MISSING_PARAMETER",)),
    "BROWSER_SESSION_EXPIRED": (
        ("Browser session expired before the run started",
         "Persistent browser session was closed by the user"),
        "SESSION_EXPIRED", "The browser session was no longer available.", ()),
    "BUDGET_EXHAUSTED": (
        ("Organization has no credits left",
         "Run stopped: monthly credit budget exhausted"),
        "NO_CREDITS", "The organisation ran out of credits.", ("INSUFFICIENT_CREDITS",)),
    "WEBSITE_ERROR": (
        ("The website returned HTTP 500 Internal Server Error",
         "The website shows a maintenance page: 'We'll be back soon'"),
        "SITE_DOWN", "The website itself reported an error.", ("SITE_ERROR", "OUT_OF_STOCK")),
    "UNKNOWN": (
        ("Unexpected error: ValueError",
         "Workflow run failed: see the block output for details"),
        "", "No keyword match found", ()),
}

# Categories that describe a run that ran out of time.
TIMEOUT_CATEGORIES: tuple[str, ...] = (
    "PAGE_LOAD_TIMEOUT", "MAX_STEPS_EXCEEDED", "ELEMENT_STATE_TIMEOUT",
)

# User-defined error codes set by blocks of runs that still completed.
CODE_ONLY_ERRORS: tuple[str, ...] = ("NO_RESULTS", "PARTIAL_DATA", "OUT_OF_STOCK")

# (key, description, value templates); "{n}" is a number, "{m}" a month.
PARAMETERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("login_url", "URL of the login page",
     ("https://portal.example.com/login", "https://billing.acme-corp.example/signin")),
    ("username", "Portal user name", ("ops+{n}@acme.example", "svc-robot-{n}")),
    ("invoice_month", "Month to download, YYYY-MM", ("2026-{m:02d}", "2025-{m:02d}")),
    ("customer_id", "Customer id in the CRM", ("CUST-{n:05d}",)),
    ("zip_code", "ZIP code for the quote", ("94{n:03d}", "10{n:03d}")),
    ("order_number", "Order number to track", ("SO-1{n:05d}",)),
    ("search_query", "What to search for", ("ergonomic chair {n}", "standing desk")),
    ("vin", "Vehicle identification number", ("1HGCM82633A{n:06d}",)),
    ("npi_number", "Provider NPI", ("1{n:09d}",)),
    ("tracking_number", "Carrier tracking number", ("1Z999AA1{n:08d}",)),
)

_LONG = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 180)[:10_000]

# Text that breaks naive HTML, CSV, terminal or JSON handling.
HOSTILE: tuple[str, ...] = (
    "<script>alert(1)</script>",
    "Tom &amp; Jerry &lt;b&gt;not bold&lt;/b&gt;",
    _LONG,
    "control\x00chars\x07bell\x08back\x1b[31mred\x1b[0m\x7f end",
    "\u202eevil\u202c file \u200fright-to-left",
    "quote \" apostrophe ' backslash \\ C:\\path\\to\\file \\u0041 \\n",
    "line one\r\nline two\ttabbed",
    "=HYPERLINK(\"http://evil.example\",\"click\")",
)
