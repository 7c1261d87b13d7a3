/*
 * Access control in the browser (app/auth): when the server answers a Dash callback with 401 — the
 * sign-in has expired, or the account was removed — go to the sign-in page and come back to this view
 * afterwards (or, behind a single-sign-on proxy, reload so the proxy can sign the user in again),
 * rather than leave a page that silently stops updating. Nothing here decides what anyone may see:
 * the server does that on every request.
 */
(function () {
    "use strict";
    if (!window.fetch || window.fetch.basiraAuth) {
        return;
    }
    var original = window.fetch;
    var leaving = false;

    function follow(body) {
        if (!body || leaving) {
            return;
        }
        if (typeof body.login === "string" && body.login.charAt(0) === "/") {
            leaving = true;
            window.location.assign(body.login + "?next=" +
                encodeURIComponent(window.location.pathname + window.location.search));
        } else if (body.reload === true) {
            leaving = true;
            window.location.reload();
        }
    }

    function fetchWatchingSignIn(input, init) {
        return original.apply(window, arguments).then(function (response) {
            var url = typeof input === "string" ? input : (input && input.url) || "";
            if (response.status === 401 && url.indexOf("_dash-update-component") !== -1) {
                response.clone().json().then(follow, function () {});
            }
            return response;
        });
    }

    fetchWatchingSignIn.basiraAuth = true;
    window.fetch = fetchWatchingSignIn;
}());
