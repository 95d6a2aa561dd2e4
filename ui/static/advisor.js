// The chat page's behaviour that Gradio has no setting for (ui/chat.py puts this in <head>).
// Citations open their passage and take the focus, with a way back; on a phone the sources are a
// sheet over the answer; messages get plain-text accessible names; "copy" copies plain text with
// the sources; the workshop embed tells its host page how tall it is (embed.js resizes the frame);
// the browser's file uploads carry the admin key typed in "Your documents" (advisor.http.server's
// UploadGuard refuses them otherwise).
(function () {
  "use strict";
  var send = window.fetch.bind(window);
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    if (/\/gradio_api\/upload(\?|$)/.test(url)) {
      var box = document.querySelector("#admin-key input, #admin-key textarea");
      init = Object.assign({}, init || {});
      var headers = new Headers(init.headers || {});
      if (box && box.value) { headers.set("X-Admin-Key", box.value); }
      init.headers = headers;
    }
    return send(input, init);
  };

  // An answer starts: "Stop" stands in for "Ask" until ui/chat.py's ANSWERED_JS runs. Marked here,
  // in the capture phase of the click or Enter itself, so it always comes before the answer's end.
  var ASKING = "#ask, button.example-q:not(.followup), #chatbot button[aria-label='Retry']";
  function answering() { document.body.classList.add("answering"); }
  document.addEventListener("click", function (event) {
    if (event.target && event.target.closest && event.target.closest(ASKING)) { answering(); }
  }, true);
  document.addEventListener("keydown", function (event) {
    var typed = event.target && event.target.closest && event.target.closest("#question textarea");
    if (typed && event.key === "Enter" && !event.shiftKey && !event.isComposing) { answering(); }
  }, true);

  // A suggested follow-up (a plain button in #followups-row) is asked like a typed question.
  document.addEventListener("click", function (event) {
    var chosen = event.target && event.target.closest ? event.target.closest("#followups-row button.followup") : null;
    var box = document.querySelector("#question textarea");
    var ask = document.getElementById("ask");
    if (!chosen || !box || !ask) { return; }
    box.value = chosen.textContent;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    setTimeout(function () { ask.click(); }, 0);  // after Gradio has taken the new value
  });

  var PHONE_QUERY = "(max-width: 700px)";
  var FLASH_MS = 1600;
  var COPIED_MS = 1500;
  var SHEET_MS = 250;  // the sheet's slide-in (advisor.css); hidden content cannot take focus before
  var lastMarker = null;

  function isPhone() { return window.matchMedia(PHONE_QUERY).matches; }
  function isEmbed() { return !!document.querySelector(".advisor-embed"); }
  function useSheet() { return isPhone() && !isEmbed(); }

  function markerFor(card) {
    if (lastMarker && document.contains(lastMarker) && lastMarker.getAttribute("href").endsWith("#" + card.id)) {
      return lastMarker;
    }
    return document.querySelector('#chatbot a[href$="#' + card.id + '"]');
  }

  function scrollPanelTo(card) {
    var panel = document.getElementById("sources-panel");
    if (!panel) { return; }
    var head = panel.querySelector(".src-head");
    var offset = card.getBoundingClientRect().top - panel.getBoundingClientRect().top;
    panel.scrollTop += offset - (head ? head.offsetHeight : 0) - 4;
  }

  function openCitation(link) {
    var id = link.getAttribute("href").split("#").pop();
    var card = document.getElementById(id);
    if (!card) { return false; }
    lastMarker = link;
    card.open = true;
    if (useSheet()) { document.body.classList.add("sources-open"); }
    requestAnimationFrame(function () {
      scrollPanelTo(card);
      if (isEmbed() || !useSheet() && card.getBoundingClientRect().bottom > window.innerHeight) {
        card.scrollIntoView({ block: "nearest" });
      }
      var summary = card.querySelector("summary");
      if (!summary) { return; }
      summary.focus({ preventScroll: true });
      if (document.activeElement !== summary) {
        setTimeout(function () { summary.focus({ preventScroll: true }); }, SHEET_MS);
      }
    });
    card.classList.add("flash");
    setTimeout(function () { card.classList.remove("flash"); }, FLASH_MS);
    return true;
  }

  function backToAnswer(card) {
    document.body.classList.remove("sources-open");
    var marker = card ? markerFor(card) : lastMarker;
    if (marker && document.contains(marker)) {
      marker.scrollIntoView({ block: "center" });
      marker.focus({ preventScroll: true });
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target || !target.closest) { return; }
    var link = target.closest('a[href*="#src-"]');
    if (link && openCitation(link)) {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    var back = target.closest(".src-back, .src-close");
    if (back) {
      event.preventDefault();
      backToAnswer(back.closest("details.src"));
      return;
    }
    if (target.closest("#open-sources")) {
      document.body.classList.add("sources-open");
      var heading = document.querySelector("#sources-panel .src-head h2");
      if (heading) { heading.focus({ preventScroll: true }); }
      return;
    }
    var copy = target.closest('#chatbot button[aria-label="Copy message"]');
    if (copy && copyMessage(copy)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.body.classList.contains("sources-open")) {
      backToAnswer(null);
    }
  });

  // Copy: the message as plain text, then its sources as a numbered list (not Markdown links or HTML).
  function messageOf(button) {
    var node = button;
    while (node && node !== document.body) {
      var found = node.querySelector && node.querySelector('[data-testid="bot"], [data-testid="user"]');
      if (found) { return found; }
      node = node.parentElement;
    }
    return null;
  }

  function plainWithSources(message) {
    var text = message.innerText.trim();
    var links = message.querySelectorAll('a[href*="#src-"]');
    if (!links.length) { return text; }
    var turn = links[0].getAttribute("href").split("#src-").pop().split("-")[0];
    var cards = document.querySelectorAll('#sources-panel details.src[id^="src-' + turn + '-"]');
    var lines = Array.prototype.map.call(cards, function (card) { return card.getAttribute("data-plain"); });
    return text + "\n\nSources\n" + lines.join("\n");
  }

  function copyMessage(button) {
    var message = messageOf(button);
    if (!message || !navigator.clipboard) { return false; }
    navigator.clipboard.writeText(plainWithSources(message));
    var title = button.getAttribute("title");
    button.setAttribute("title", "Copied");
    setTimeout(function () { button.setAttribute("title", title); }, COPIED_MS);
    return true;
  }

  // Accessible names: Gradio labels each message with its raw Markdown; use the text people see.
  function nameMessages() {
    var messages = document.querySelectorAll('#chatbot [data-testid="bot"], #chatbot [data-testid="user"]');
    Array.prototype.forEach.call(messages, function (message) {
      var bot = message.getAttribute("data-testid") === "bot";
      var name = (bot ? "Advisor: " : "You: ") + message.innerText.trim();
      if (message.getAttribute("aria-label") !== name) { message.setAttribute("aria-label", name); }
      // Direction from the text itself; an answer in a right-to-left language carries its own
      // dir and lang (ui/chat.py answer_message), which win inside it.
      if (message.getAttribute("dir") !== "auto") { message.setAttribute("dir", "auto"); }
    });
  }

  // When a question is added, scroll the chat so that it sits at the top: the answer then streams
  // in below it and is read from its start (Gradio's autoscroll would jump to the end).
  var seen = 0;
  function scrollBox(node) {
    var box = node.parentElement;
    while (box && !(box.scrollHeight > box.clientHeight + 1 && /(auto|scroll)/.test(getComputedStyle(box).overflowY))) {
      box = box.parentElement;
    }
    return box && box.closest("#chatbot") ? box : null;
  }
  function follow() {
    var asked = document.querySelectorAll('#chatbot [data-testid="user"]');
    if (asked.length === seen) { return; }
    seen = asked.length;
    var last = asked[asked.length - 1];
    if (!last) { return; }
    requestAnimationFrame(function () {
      var box = scrollBox(last);
      if (box) { box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8; }
    });
  }

  // A new answer's sources are put first: show the top of the panel.
  var groups = 0;
  function newestSourcesFirst() {
    var panel = document.getElementById("sources-panel");
    var count = panel ? panel.querySelectorAll(".src-group").length : 0;
    if (count > groups && panel) { panel.scrollTop = 0; }
    groups = count;
  }

  // The question box stops at its maximum length; say so instead of cutting text silently.
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box || !box.matches || !box.matches("#question textarea") || !(box.maxLength > 0)) { return; }
    var note = document.getElementById("question-note");
    if (!note) {
      note = document.createElement("p");
      note.id = "question-note";
      note.setAttribute("role", "status");
      var row = document.getElementById("ask-row");
      row.parentNode.insertBefore(note, row.nextSibling);
    }
    note.textContent = box.value.length >= box.maxLength
      ? "Questions can be up to " + box.maxLength.toLocaleString("en") + " characters; the rest was not kept."
      : "";
  }, true);

  // The embed reports its content height; embed.js on the host page sizes the iframe to it, so
  // there is one scrolling page, not a scrolling page inside another.
  var reported = 0;
  // Measured from the last element, not the document: the page stretches to the frame's height,
  // so the document's own height could grow with the frame but never shrink.
  function contentHeight() {
    var last = document.getElementById("attribution");
    var main = document.querySelector(".gradio-container .main");
    if (!last || !main) { return 0; }
    return Math.ceil(last.getBoundingClientRect().bottom + window.scrollY + parseFloat(getComputedStyle(main).paddingBottom || "0"));
  }
  function reportHeight() {
    if (window.parent === window || !isEmbed()) { return; }
    var height = contentHeight();
    if (height > 0 && height !== reported) {
      reported = height;
      window.parent.postMessage({ type: "advisor:height", height: height }, "*");
    }
  }

  new MutationObserver(function () {
    follow();
    nameMessages();
    newestSourcesFirst();
    reportHeight();
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
  window.addEventListener("resize", reportHeight);
  window.addEventListener("load", reportHeight);
  document.addEventListener("toggle", reportHeight, true);
})();
