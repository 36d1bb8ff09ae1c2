// Search and filters for a published community record. The sessions come from
// search-data.js as data; every piece of text goes into the page through textContent, never
// as markup. Words match as protocolrunner's own search does: case and accents ignored, every
// word a whole word but the last, which may be the start of one.
(function () {
  "use strict";
  var data = window.PROTOCOLRUNNER_SESSIONS || [];
  var PAGE = 100;
  var $ = function (id) { return document.getElementById(id); };
  var form = $("find"), q = $("q"), protocol = $("protocol"), member = $("member");
  var since = $("since"), until = $("until"), count = $("count"), all = $("all");
  var results = $("results"), rows = $("result-rows"), more = $("more");
  if (!form) { return; }
  form.hidden = false;
  var initialCount = count.textContent;
  var hits = [], shown = 0, asked = null;

  function fold(text) {
    return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/ß/g, "ss");
  }
  function terms(text) { return fold(text).match(/[\p{L}\p{N}]+/gu) || []; }

  function cell(tr, text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    tr.appendChild(td);
    return td;
  }

  function showMore() {
    var end = Math.min(hits.length, shown + PAGE);
    var fragment = document.createDocumentFragment();
    for (var i = shown; i < end; i++) {
      var row = hits[i], tr = document.createElement("tr");
      cell(tr, row[1], "nowrap");
      var link = document.createElement("a");
      link.href = "sessions/" + row[0] + ".html";
      link.textContent = row[3];
      cell(tr, "").appendChild(link);
      cell(tr, row[4]);
      cell(tr, row[5]);
      cell(tr, row[6], "num");
      fragment.appendChild(tr);
    }
    rows.appendChild(fragment);
    shown = end;
    more.hidden = shown >= hits.length;
  }

  function run(event) {
    // Leaving the search box fires "change" too: the same search again would rebuild the
    // results under the pointer, just as a hit is clicked.
    var key = [q.value, protocol.value, member.value, since.value, until.value].join("\n");
    if (key === asked && event && event.type !== "pageshow") { return; }
    asked = key;
    var started = performance.now();
    var words = terms(q.value);
    var last = words.length ? " " + words.pop() : "";
    var whole = words.map(function (w) { return " " + w + " "; });
    var p = protocol.value, m = member.value, from = since.value, to = until.value;
    var active = last || p || m || from || to;
    hits = [];
    if (active) {
      for (var i = 0; i < data.length; i++) {
        var row = data[i], text = row[8];
        if (p && row[2] !== p) { continue; }
        if (m && row[7].indexOf(m) < 0) { continue; }
        if (from && row[1] < from) { continue; }
        if (to && row[1] > to) { continue; }
        var ok = !last || text.indexOf(last) >= 0;
        for (var k = 0; ok && k < whole.length; k++) { ok = text.indexOf(whole[k]) >= 0; }
        if (ok) { hits.push(row); }
      }
    }
    rows.textContent = "";
    shown = 0;
    results.hidden = !active;
    all.hidden = !!active;
    if (active) {
      count.textContent = hits.length === 0 ? "No sessions match." :
        hits.length.toLocaleString() + (hits.length === 1 ? " session matches." :
          " sessions match, newest first.");
      showMore();
    } else {
      count.textContent = initialCount;
      more.hidden = true;
    }
    window.PROTOCOLRUNNER_LAST_SEARCH_MS = performance.now() - started;
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  form.addEventListener("input", run);
  form.addEventListener("change", run);
  form.addEventListener("reset", function () { setTimeout(run, 0); });
  more.addEventListener("click", showMore);
  // Coming back to the page, the browser may have kept what was typed: show its results.
  window.addEventListener("pageshow", run);
  window.PROTOCOLRUNNER_SEARCH = run;
})();
