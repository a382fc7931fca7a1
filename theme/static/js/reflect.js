// Optional. Everything works without it; it only saves the reader a page:
// - a Reply link fills in the form on this page instead of opening the service's reply page;
// - a form token is fetched from the service, so Send goes straight through instead of asking
//   "send this reflection?" once more.
(function () {
  var form = document.getElementById("reflect");
  if (!form) return;
  var parent = document.getElementById("reflect-parent");
  var note = document.getElementById("reflect-replying");
  var token = document.getElementById("reflect-token");
  function choose(id) {
    var link = id && document.querySelector('[data-reply="' + CSS.escape(id) + '"]');
    parent.value = link ? id : "";
    note.hidden = !link;
    note.textContent = link ? "Replying to " + link.getAttribute("data-name") : "";
  }
  var asked = new URLSearchParams(location.search).get("reply");
  if (asked) choose(asked);
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-reply]");
    if (!link) return;
    event.preventDefault();
    choose(link.getAttribute("data-reply"));
    history.replaceState(null, "", "?reply=" + encodeURIComponent(link.getAttribute("data-reply")) + "#reflect");
    form.scrollIntoView();
    document.getElementById("reflect-body").focus();
  });
  // Ask for a token when the reader starts writing: a reader who only reads costs no request.
  form.addEventListener("focusin", function fetchToken() {
    form.removeEventListener("focusin", fetchToken);
    if (!token || token.value || !window.fetch) return;
    var essay = form.querySelector('[name="essay"]').value;
    fetch(form.getAttribute("data-token-url") + "?essay=" + encodeURIComponent(essay), { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && data.token) token.value = data.token; })
      .catch(function () {});
  });
})();
