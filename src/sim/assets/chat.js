// Chat page of the Zalo simulator: posts forms with fetch (the page also works without this
// script) and refreshes the conversation when the control API reports a new version.
(function () {
  "use strict";
  var body = document.body;
  var base = body.dataset.base || "";
  var user = body.dataset.user;
  var list = document.getElementById("messages");
  var toast = document.getElementById("toast");
  var version = body.dataset.version;
  if (!user || !list) return;

  function scrollDown() { list.scrollTop = list.scrollHeight; }
  function show(message) {
    toast.textContent = message;
    toast.hidden = false;
    setTimeout(function () { toast.hidden = true; }, 4000);
  }
  function refresh() {
    return fetch(base + "/conversation/" + encodeURIComponent(user), { cache: "no-store" }).then(function (r) {
      if (!r.ok) return;
      version = r.headers.get("X-Sim-Version") || version;
      return r.text().then(function (html) {
        list.innerHTML = html;
        scrollDown();
        // "Nhắn tin" (user_click_chatnow) exists only before the first message.
        var chatnow = document.querySelector('form[action$="/chatnow"]');
        if (chatnow && list.querySelector(".row")) chatnow.remove();
      });
    });
  }
  function poll() {
    fetch(base + "/api/citizens/" + encodeURIComponent(user) + "/version", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (d) { if (String(d.version) !== String(version)) return refresh(); })
      .catch(function () {})
      .then(function () { setTimeout(poll, 1000); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-reload")) return;
    event.preventDefault();
    var data = new URLSearchParams(new FormData(form));
    if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
    fetch(form.action, { method: "POST", body: data, headers: { "X-Sim-Fetch": "1" } }).then(function (r) {
      if (!r.ok) return r.text().then(show);
      if (form.classList.contains("composer")) { form.reset(); form.elements.text.focus(); }
      return refresh();
    }).catch(function () { show("Không kết nối được với trình mô phỏng."); });
  });

  scrollDown();
  setTimeout(poll, 1000);
})();
