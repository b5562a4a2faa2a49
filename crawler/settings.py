"""Scrapy settings of the newswatch crawler: every default, in one place.

These are project defaults. Per source, `newswatch.toml` overrides some of them
(`crawler.configure.source_settings`, applied at spider priority):

    obey_robots -> ROBOTSTXT_OBEY              user_agent -> USER_AGENT
    concurrency -> CONCURRENT_REQUESTS_PER_DOMAIN
    download_timeout -> DOWNLOAD_TIMEOUT       max_page_bytes -> DOWNLOAD_MAXSIZE
    delay -> DOWNLOAD_DELAY, AUTOTHROTTLE_START_DELAY
    retries -> RETRY_TIMES

`scrapy crawl news -a source=NAME -s NAME=VALUE` still overrides any of them for one run.
"""

from newswatch.config import DEFAULT_DELAY, DEFAULT_RETRIES, DEFAULT_USER_AGENT

# -- project ------------------------------------------------------------------------------
BOT_NAME = "newswatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# our `scrapy crawl` turns a bad newswatch.toml into one line and exit status 2
COMMANDS_MODULE = "crawler.commands"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
# no code-execution server (and no job files in the user's profile) in an unattended crawler
REMOTE_CONTROL_ENABLED = False

# -- politeness ---------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
USER_AGENT = DEFAULT_USER_AGENT
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = DEFAULT_DELAY  # seconds; also the floor, via DOWNLOAD_DELAY
DOWNLOAD_DELAY = DEFAULT_DELAY
AUTOTHROTTLE_MAX_DELAY = 30.0  # seconds: a slow site is never waited on longer than this
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0  # average requests in flight per site
CONCURRENT_REQUESTS = 64  # over every site of one engine (config: [daemon] requests_in_flight)
# First come, first served: Scrapy's default LIFO queue lets the newest runs' requests
# overtake the oldest whenever the engine is at its cap (sites that hang hold slots), so
# some sources' polls wait for minutes; FIFO keeps every source within its cadence.
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 20  # seconds
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # bytes; a larger page is dropped, counted too-large
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
COOKIES_ENABLED = False  # news pages need no session; cookies only make pages vary

# -- retries ------------------------------------------------------------------------------
RETRY_ENABLED = True
RETRY_TIMES = DEFAULT_RETRIES
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_GIVE_UP_LOG_LEVEL = "INFO"  # the spider logs each failure once, as a warning
NEWSWATCH_RETRY_BACKOFF = 1.0  # seconds before the first retry; doubles for each next one
NEWSWATCH_RETRY_BACKOFF_MAX = 30.0  # seconds: longest backoff wait
NEWSWATCH_RETRY_AFTER_MAX = 120.0  # seconds: longest wait a Retry-After header gets
REDIRECT_MAX_TIMES = 10  # a redirect loop ends here, counted as error redirect-loop

# -- re-ingestion -------------------------------------------------------------------------
# Conditional GET comes from the store's `pages` table, never from Scrapy's cache, and a
# 304 must reach the pipeline to be counted (and to touch the page).
HTTPCACHE_ENABLED = False
HTTPERROR_ALLOWED_CODES = [304]
NEWSWATCH_CONDITIONAL_GET = True  # False: always fetch full pages (e.g. to test extraction)
# a known page's re-check goes out as a bare conditional GET first (crawler.quickcheck);
# False: every request takes Scrapy's full way
NEWSWATCH_QUICK_RECHECK = True
NEWSWATCH_SITEMAP_MAX_DEPTH = 3  # sitemap index -> sitemap nesting followed at most

# -- extraction and storage ---------------------------------------------------------------
NEWSWATCH_EXTRACT_WORKERS = 2  # worker processes running extraction (one per core)
CONCURRENT_ITEMS = 16  # pages of one response in the pipeline at once (one per response here)

# -- components ---------------------------------------------------------------------------
# one slot per site (host:port) whose delay and concurrency hold for every source on it
DOWNLOADER = "crawler.downloader.SiteDownloader"
DOWNLOADER_MIDDLEWARES = {
    # before robots.txt (100): a refused address gets no request at all, not even robots.txt
    "crawler.middlewares.addresses.AddressGuardMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.retry.BackoffRetryMiddleware": 550,
    "crawler.middlewares.conditional.ConditionalGetMiddleware": 560,
    # just outside HttpCompressionMiddleware (590): sees the raw body, refuses a truncated
    # gzip/deflate stream that Scrapy would otherwise decode to half a page
    "crawler.middlewares.integrity.CompleteBodyMiddleware": 595,
}
SPIDER_MIDDLEWARES = {
    # Not used (no DEPTH_LIMIT: sitemap nesting is bounded by the spider itself; no
    # Referer needed by feeds and article pages) and each costs CPU on every request of
    # every poll of a long-lived engine.
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
}
ITEM_PIPELINES = {
    "crawler.pipelines.IngestPipeline": 300,
}
EXTENSIONS = {
    # switched off above; unlisted they are not even imported (aiohttp, twisted.conch:
    # a fifth of the start-up of every daemon run)
    "scrapy.extensions.remote_control.RemoteControl": None,
    "scrapy.extensions.telnet.TelnetConsole": None,
}

# -- runs ---------------------------------------------------------------------------------
NEWSWATCH_RUNS_IN_FLIGHT = 100  # source runs crawling at once (config: [daemon])
NEWSWATCH_RUN_TIMEOUT = 600.0  # seconds: a run still going is cut (partial), its slot freed
NEWSWATCH_DUE_PAGES_MAX = 1000  # due revisits taken per run (the oldest due first)

# -- stopping -----------------------------------------------------------------------------
# After SIGINT/SIGTERM, `newswatch crawl` lets in-flight pages finish for this long, then
# records the run as partial and exits anyway.
NEWSWATCH_SHUTDOWN_GRACE = 3.0  # seconds
