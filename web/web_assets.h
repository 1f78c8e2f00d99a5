/* web_assets.h — the page's templates, generated at build time by embed.py
 * from the hand-written files in web/. Each template already contains every
 * stylesheet and script; the report substitutes the placeholders {{TITLE}}
 * (HTML-escaped text) and {{DATA}} (the escaped JSON document). */
#ifndef RADIOGRAPH_WEB_ASSETS_H
#define RADIOGRAPH_WEB_ASSETS_H

extern const char web_report_html[];   /* index.html template */

#endif
