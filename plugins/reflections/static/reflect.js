// Optional. Everything works without it; it only saves the reader a page:
// - a Reply link fills in the form on this page instead of opening the service's reply page;
// - a form token is fetched from the service, so Send goes straight through instead of asking
//   "send this reflection?" once more;
// - the words are kept in this browser until they are sent, and a service that cannot be reached
//   is said so plainly instead of a browser's error page.
(function () {
  // A link to a reflection folded away in a long thread opens its folds.
  function reveal() {
    var target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
    if (target) target.scrollIntoView();
  }
  reveal();
  window.addEventListener("hashchange", reveal);
  var form = document.getElementById("reflect");
  if (!form) return;
  var parent = document.getElementById("reflect-parent");
  var note = document.getElementById("reflect-replying");
  var token = document.getElementById("reflect-token");
  var heading = document.getElementById("reflect-heading");
  var button = form.querySelector('button[type="submit"]');
  var label = document.getElementById("reflect-body-label");
  var asNew = { heading: heading.textContent, button: button.textContent, label: label ? label.textContent : "" };
  // The page's words for what this script says (the form carries them in its language).
  var words = {};
  try { words = JSON.parse(form.getAttribute("data-words") || "{}"); } catch (error) { /* English below */ }
  function word(key, english, values) {
    var text = words[key] || english;
    Object.keys(values || {}).forEach(function (name) { text = text.split("%(" + name + ")s").join(values[name]); });
    return text;
  }
  function counted(key, english, count, max) {
    var forms = words[key] || {};
    var lang = form.closest("[lang]") ? form.closest("[lang]").getAttribute("lang") : "en";
    var category = "other";
    try { category = new Intl.PluralRules(lang).select(count); } catch (error) { /* "other" */ }
    var text = forms[category] || forms.other || english;
    var shown = count.toLocaleString(lang);
    return text.split("%(num)s").join(shown).split("%(max)s").join(max.toLocaleString(lang));
  }
  function choose(id) {
    var link = id && document.querySelector('[data-reply="' + CSS.escape(id) + '"]');
    // Kept apart from the sentence it sits in (Unicode's isolates, <bdi> in text): a name written
    // right to left leaves the words around it in their order.
    var name = link ? "\u2068" + link.getAttribute("data-name") + "\u2069" : "";
    parent.value = link ? id : "";
    note.hidden = !link;
    note.textContent = link ? word("replying", "Replying to %(name)s", { name: name }) + " " : "";
    heading.textContent = link ? word("replyTo", "Your reply to %(name)s", { name: name }) : asNew.heading;
    button.textContent = link ? word("sendReply", "Send your reply") : asNew.button;
    if (label) label.textContent = link ? word("yourReply", "Your reply") : asNew.label;
    if (!link) return;
    // A reply can be taken back to a reflection on the essay, and the reader back to what they answered.
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "reply-cancel";
    cancel.textContent = word("instead", "Write a reflection instead");
    cancel.addEventListener("click", function () {
      choose("");
      history.replaceState(null, "", location.pathname + "#reflect");
      var answered = document.getElementById("r-" + id);
      if (answered) answered.scrollIntoView();
    });
    note.appendChild(cancel);
  }
  // Reflect on a passage: select some of the essay's words, and a button offers to answer them.
  var passage = document.getElementById("reflect-passage");
  var quote = document.getElementById("reflect-quote");
  var offer = document.createElement("button");
  offer.type = "button";
  offer.className = "reflect-on-passage";
  offer.textContent = word("onThis", "Reflect on this");
  offer.hidden = true;
  document.body.appendChild(offer);
  var chosen = null;
  function passageOf(node) {
    var element = node && (node.nodeType === 1 ? node : node.parentElement);
    return element && element.closest('[id^="p-"], [id^="s-"], h2[id], h3[id], h4[id]');
  }
  document.addEventListener("selectionchange", function () {
    var selection = window.getSelection();
    var text = selection ? selection.toString().replace(/\s+/g, " ").trim() : "";
    var block = text && passageOf(selection.anchorNode);
    if (!block || !passage || form.contains(block)) { offer.hidden = true; chosen = null; return; }
    chosen = { id: block.id, text: text.slice(0, Number(quote.getAttribute("maxlength")) || 300) };
    var box = selection.getRangeAt(0).getBoundingClientRect();
    offer.style.top = (window.scrollY + box.bottom + 6) + "px";
    offer.style.left = (window.scrollX + box.left) + "px";
    offer.hidden = false;
  });
  offer.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep the selection
  offer.addEventListener("click", function () {
    if (!chosen) return;
    if (!passage.querySelector('option[value="' + CSS.escape(chosen.id) + '"]')) {
      var option = document.createElement("option");
      option.value = chosen.id;
      option.textContent = chosen.text.slice(0, 60);
      passage.appendChild(option);
    }
    passage.value = chosen.id;
    quote.value = chosen.text;
    var more = document.getElementById("reflect-more");
    if (more) more.open = true;  // the passage chosen stays in sight, folded fields or not
    offer.hidden = true;
    form.scrollIntoView();
    document.getElementById("reflect-body").focus();
  });
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
  // The reader's words are kept in this browser while they write, so a service that cannot be
  // reached (a static host with the service elsewhere, a network gone) never loses them.
  var status = document.getElementById("reflect-status");
  var key = "withness-draft:" + location.pathname;
  var fields = ["body", "name", "content_note", "email"];
  function say(text) {
    if (!status) return;
    status.textContent = text;
    status.hidden = !text;
  }
  function keep() {
    var draft = {};
    fields.forEach(function (name) { var field = form.elements[name]; if (field) draft[name] = field.value; });
    try {
      if (draft.body) localStorage.setItem(key, JSON.stringify(draft));
      else localStorage.removeItem(key);
    } catch (error) { /* storage off: nothing to keep it in */ }
  }
  try {
    var kept = JSON.parse(localStorage.getItem(key) || "null");
    if (kept && kept.body && !form.elements.body.value) {
      fields.forEach(function (name) { if (form.elements[name] && kept[name]) form.elements[name].value = kept[name]; });
      var folded = document.getElementById("reflect-more");
      if (folded && (kept.content_note || kept.email)) folded.open = true;
      say(word("restored", "Your unsent words from your last visit are back in the form."));
    }
  } catch (error) { /* storage off or unreadable */ }
  form.addEventListener("input", keep);
  // Nothing typed is cut without a word: near a field's limit, what is left (or over) is said.
  Array.prototype.forEach.call(form.querySelectorAll("[data-max]"), function (field) {
    var count = document.getElementById(field.id + "-count");
    if (!count) return;
    var max = Number(field.getAttribute("data-max"));
    function update() {
      var used = Array.from(field.value).length;  // characters, as the service counts them
      if (used > max) {
        count.textContent = counted("over", "%(num)s characters over the limit of %(max)s. Everything you " +
          "wrote is kept; please shorten it a little before sending.", used - max, max);
      } else if (used >= max * 0.9) {
        count.textContent = counted("left", "%(num)s characters left.", max - used, max);
      }
      count.hidden = used < max * 0.9;
    }
    field.addEventListener("input", update);
    update();
  });
  var unreachable = word("unreachable", "The reflection service cannot be reached just now, so nothing " +
    "was sent. Your words are kept in this browser: come back to this page and send them later.");
  function askToken() {
    var essay = form.querySelector('[name="essay"]').value;
    return fetch(form.getAttribute("data-token-url") + "?essay=" + encodeURIComponent(essay), { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && data.token) token.value = data.token; return true; });
  }
  var reached = null;  // a promise: whether the service answered
  // Ask for a token when the reader starts writing: a reader who only reads costs no request.
  form.addEventListener("focusin", function fetchToken() {
    form.removeEventListener("focusin", fetchToken);
    if (!token || token.value || !window.fetch) return;
    reached = askToken().catch(function () { return false; });
  });
  // Sending leaves this page; a service that did not answer would leave the reader on a browser's
  // error page. Ask once more first, and stay here (words kept) when it still does not answer.
  form.addEventListener("submit", function (event) {
    if (!window.fetch || !reached || form.dataset.checked) return;
    event.preventDefault();
    keep();
    reached.then(function (ok) { return ok || askToken().catch(function () { return false; }); })
      .then(function (ok) {
        if (!ok) { reached = Promise.resolve(false); say(unreachable); return; }
        reached = Promise.resolve(true);
        try { localStorage.removeItem(key); } catch (error) { /* nothing kept */ }
        form.dataset.checked = "yes";
        form.submit();
      });
  });
})();
