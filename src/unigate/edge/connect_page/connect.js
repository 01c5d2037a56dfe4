// Reports the page's result the way Truto's Link SDK listens for it
// (https://github.com/trutohq/truto-link-sdk): a postMessage to the window that opened the page (popup mode),
// or, with no opener, a redirect to the link token's redirect_uri (same-window mode).
(function () {
  var main = document.querySelector("main[data-result]");
  if (!main) {
    var first = document.querySelector("main input:not([type=hidden]), main a.button, main a.crm");
    if (first) first.focus();
    return;
  }
  var result = JSON.parse(main.getAttribute("data-result"));
  var redirect = main.getAttribute("data-redirect");
  // Only the app's own origin may read the result when the token names one.
  var origin = main.getAttribute("data-origin") || "*";
  var opener = window.opener || (window.parent !== window ? window.parent : null);
  if (opener) {
    opener.postMessage(result, origin);
    if (window.opener && result.result === "success") window.setTimeout(function () { window.close(); }, 300);
  } else if (redirect) {
    window.location.replace(redirect);
  }
})();
