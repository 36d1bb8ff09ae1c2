// Search and filters for a published community record. The sessions come from the
// search-YYYY.js files as data; every piece of text goes into the page through textContent,
// never as markup. Words match as protocolrunner's own search does: case and accents ignored,
// every word a whole word but the last, which may be the start of one.
//
// Each year brings its words, sorted, and for each word the sessions that hold it (a posting
// list: gaps between places, base 32, "ABC...*" digits before a last "0-9a-v" digit). A whole
// word is found by binary search, the last word as the range of words it starts; a session
// matches when every word's list holds it. The results table shows a page of rows at a time.
(function () {
  "use strict";
  var years = window.PROTOCOLRUNNER_DATA || [];
  var PAGE = 50;  // rows drawn at a time: their layout is most of a search's cost
  var $ = function (id) { return document.getElementById(id); };
  var form = $("find"), q = $("q"), protocol = $("protocol"), member = $("member");
  var since = $("since"), until = $("until"), count = $("count"), all = $("all");
  var results = $("results"), rows = $("result-rows"), more = $("more");
  if (!form) { return; }
  form.hidden = false;
  var initialCount = count.textContent;
  var hits = [], shown = 0, asked = null;

  var LAST = "0123456789abcdefghijklmnopqrstuv", MORE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%&*";
  var DIGIT = new Uint8Array(128), GOES_ON = new Uint8Array(128);
  for (var d = 0; d < 32; d++) {
    DIGIT[LAST.charCodeAt(d)] = d;
    DIGIT[MORE.charCodeAt(d)] = d;
    GOES_ON[MORE.charCodeAt(d)] = 1;
  }

  function fold(text) {
    return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/ß/g, "ss");
  }
  function terms(text) { return fold(text).match(/[\p{L}\p{N}]+/gu) || []; }

  // The first place in the sorted words where ``word`` is or would be.
  function lowerBound(words, word) {
    var lo = 0, hi = words.length;
    while (lo < hi) {
      var mid = (lo + hi) >>> 1;
      if (words[mid] < word) { lo = mid + 1; } else { hi = mid; }
    }
    return lo;
  }

  // Sessions in ``postings`` whose count is ``step`` go on to ``step + 1``: after every word,
  // the sessions that hold them all have counted each.
  function tick(postings, counts, step) {
    var value = 0, place = -1;
    for (var i = 0; i < postings.length; i++) {
      var c = postings.charCodeAt(i);
      value = value * 32 + DIGIT[c];
      if (!GOES_ON[c]) {
        place += value + 1;
        value = 0;
        if (counts[place] === step) { counts[place] = step + 1; }
      }
    }
  }

  // The places of a year's sessions holding ``whole`` words and a word starting with
  // ``start`` (any session when there are no words), in order (newest first).
  function matching(year, whole, start) {
    var words = year.words, postings = year.postings, n = year.sessions.length;
    var counts = new Uint16Array(n), step = 0, found = [];
    for (var k = 0; k < whole.length; k++, step++) {
      var at = lowerBound(words, whole[k]);
      if (words[at] !== whole[k]) { return found; }
      tick(postings[at], counts, step);
    }
    if (start) {
      var i = lowerBound(words, start), any = false;
      for (; i < words.length && words[i].lastIndexOf(start, 0) === 0; i++) {
        tick(postings[i], counts, step);
        any = true;
      }
      if (!any) { return found; }
      step++;
    }
    for (var p = 0; p < n; p++) { if (counts[p] === step) { found.push(p); } }
    return found;
  }

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
    var left = hits.length - shown;
    more.hidden = left <= 0;
    more.textContent = "Show " + Math.min(left, PAGE).toLocaleString() + " more (" +
      left.toLocaleString() + " not shown yet)";
  }

  function run(event) {
    // Leaving the search box fires "change" too: the same search again would rebuild the
    // results under the pointer, just as a hit is clicked.
    var key = [q.value, protocol.value, member.value, since.value, until.value].join("\n");
    if (key === asked && event && event.type !== "pageshow") { return; }
    asked = key;
    var started = performance.now();
    var words = terms(q.value);
    var start = words.length ? words.pop() : "";
    var whole = words.filter(function (w, i) { return words.indexOf(w) === i; });
    var p = protocol.value, m = member.value, from = since.value, to = until.value;
    var active = start || p || m || from || to;
    hits = [];
    for (var y = 0; active && y < years.length; y++) {
      var year = years[y], sessions = year.sessions;
      if ((from && from > year.year + "-12-31") || (to && to < year.year + "-01-01")) { continue; }
      var places = matching(year, whole, start);
      for (var i = 0; i < places.length; i++) {
        var row = sessions[places[i]];
        if (p && row[2] !== p) { continue; }
        if (m && row[7].indexOf(m) < 0) { continue; }
        if (from && row[1] < from) { continue; }
        if (to && row[1] > to) { continue; }
        hits.push(row);
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
