// Bootstrap Italia's bundle includes video.js, which injects a <style> element into every page
// it loads in unless told not to. A strict Content-Security-Policy (style-src 'self') blocks
// injected styles, so it is told here, before the bundle runs: load this file first.
window.VIDEOJS_NO_DYNAMIC_STYLE = true;
