// Optional: fills the reflection form's parent from a "Reply" link, saving a page load.
// Everything works without it.
(function () {
  var form = document.getElementById("reflect");
  if (!form) return;
  var parent = document.getElementById("reflect-parent");
  var note = document.getElementById("reflect-replying");
  function choose(id) {
    var link = id && document.querySelector('[data-reply="' + CSS.escape(id) + '"]');
    parent.value = link ? id : "";
    note.hidden = !link;
    note.textContent = link ? "Replying to " + link.getAttribute("data-name") : "";
  }
  choose(new URLSearchParams(location.search).get("reply"));
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-reply]");
    if (!link) return;
    event.preventDefault();
    choose(link.getAttribute("data-reply"));
    history.replaceState(null, "", "?reply=" + encodeURIComponent(link.getAttribute("data-reply")) + "#reflect");
    form.scrollIntoView();
    document.getElementById("reflect-body").focus();
  });
})();
