// The officer chat page without reloading: every few seconds, asks the server for the messages
// after the last one shown and appends them; reloads once the chat is over. The page works
// without it (every action is a form; a link reloads).
(function () {
  "use strict";
  var log = document.getElementById("chat-log");
  if (!log || !window.fetch) {
    return;
  }
  var url = log.getAttribute("data-updates");
  var shown = log.getAttribute("data-status");
  var delay = 4000;

  function atBottom() {
    return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 160;
  }

  function later(ms) {
    window.setTimeout(poll, ms);
  }

  function poll() {
    if (document.hidden) {
      return later(delay);
    }
    var after = encodeURIComponent(log.getAttribute("data-last") || "0");
    fetch(url + "?after=" + after, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        var last = response.headers.get("X-Chat-Last");
        var status = response.headers.get("X-Chat-Status");
        return response.text().then(function (html) {
          if (html.trim() !== "") {
            var follow = atBottom();
            log.insertAdjacentHTML("beforeend", html);
            if (last) {
              log.setAttribute("data-last", last);
            }
            if (follow && log.lastElementChild) {
              log.lastElementChild.scrollIntoView({ block: "end" });
            }
          }
          if (status && status !== shown && (status === "ended" || status === "ending")) {
            window.location.reload();
            return;
          }
          later(delay);
        });
      })
      .catch(function () {
        later(delay * 4);
      });
  }

  later(delay);
})();
