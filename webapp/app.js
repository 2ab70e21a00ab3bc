// The station board (a Telegram Mini App). Every call carries Telegram's initData; the
// server checks it and answers only what chat would show this person. No framework: Leaflet
// for the map, the DOM for the rest. Coordinates arrive in the tile source's system.
"use strict";

(function () {
  const tg = window.Telegram && window.Telegram.WebApp ? window.Telegram.WebApp : null;
  const hash = new URLSearchParams(window.location.hash.slice(1));
  const initData = (tg && tg.initData) || hash.get("tgWebAppData") || "";
  const state = { me: null, data: null, version: null, map: null, layers: null, open: null };
  const POLL_MS = 1500;

  function $(id) { return document.getElementById(id); }
  function t(key) { return (state.me && state.me.labels.ui[key]) || key; }
  function label(group, key) { return (state.me && state.me.labels[group][key]) || key; }

  function api(path, options) {
    const init = Object.assign({ headers: {} }, options || {});
    init.headers.Authorization = "tma " + initData;
    return fetch("api/" + path, init).then(function (response) {
      if (!response.ok) {
        const error = new Error("HTTP " + response.status);
        error.status = response.status;
        throw error;
      }
      return response.json();
    });
  }

  function theme() {
    let params = tg ? tg.themeParams : null;
    let scheme = tg ? tg.colorScheme : null;
    if (!params && hash.get("tgWebAppThemeParams")) {
      try { params = JSON.parse(hash.get("tgWebAppThemeParams")); } catch (e) { params = null; }
    }
    if (!scheme && params && params.bg_color) {
      const rgb = parseInt(params.bg_color.slice(1), 16);
      const light = ((rgb >> 16) & 255) * 0.299 + ((rgb >> 8) & 255) * 0.587 + (rgb & 255) * 0.114;
      scheme = light < 128 ? "dark" : "light";
    }
    document.documentElement.dataset.theme = scheme === "dark" ? "dark" : "light";
    const root = document.documentElement.style;
    Object.keys(params || {}).forEach(function (key) {
      root.setProperty("--tg-" + key.replace(/_/g, "-"), params[key]);
    });
  }

  function step(n) { return t("step").replace("{n}", String(n)); }

  function say(text) { $("status").textContent = text || ""; }

  function age(seconds) {
    if (seconds < 60) return seconds + t("seconds");
    if (seconds < 3600) return Math.floor(seconds / 60) + t("minutes");
    return Math.floor(seconds / 3600) + t("hours") + Math.floor((seconds % 3600) / 60) + t("minutes");
  }

  // the map
  function setupMap() {
    const tiles = state.me.tiles;
    const map = L.map("map", { zoomControl: true, attributionControl: true });
    const template = tiles.url_template;
    const layer = L.tileLayer(template, {
      subdomains: tiles.subdomains || "abc",
      maxZoom: tiles.max_zoom,
      attribution: tiles.attribution,
    }).addTo(map);
    if (tiles.labels_template) { // the place names, a layer of their own (天地图)
      L.tileLayer(tiles.labels_template, { subdomains: tiles.subdomains || "abc", maxZoom: tiles.max_zoom }).addTo(map);
    }
    // offline (or the tile server refuses): the plain background, the markers and outlines
    layer.once("tileerror", function () { say(t("tiles_offline")); document.body.dataset.tiles = "offline"; });
    map.setView([35.0, 105.0], 4); // (a view first: markers are drawn only on a map with one)
    state.map = map;
    state.layers = L.layerGroup().addTo(map);
  }

  function marker(lat, lon, options, title, onTap) {
    const m = L.circleMarker([lat, lon], options);
    m.bindTooltip(title, { direction: "top" });
    if (onTap) m.on("click", onTap);
    m.addTo(state.layers);
    return m;
  }

  const AREA_M = 300, HOT_M = 200; // the rings drawn around a patrol area's and a hot spot's point
  const STATUS_COLOUR = { new: "#d93025", acknowledged: "#f29900", en_route: "#1a73e8", on_site: "#188038" };

  function drawMap() {
    const data = state.data;
    state.layers.clearLayers();
    const points = [];
    data.places.forEach(function (p) {
      if (p.lat === null) return;
      const hot = p.kinds.indexOf("hot_spot") >= 0;
      // a patrol area or a hot spot is one point in the station's file: drawn as a ring
      // around it (dashed: an area to walk; orange: a hot spot), a village as a dot
      if (p.kinds.indexOf("patrol_area") >= 0 || hot) {
        L.circle([p.lat, p.lon], {
          radius: hot ? HOT_M : AREA_M, color: hot ? "#e8710a" : "#1a73e8", weight: 2,
          dashArray: hot ? null : "6 4", fillOpacity: hot ? 0.15 : 0.05, className: "area-outline",
        }).bindTooltip(p.name, { direction: "top" }).addTo(state.layers);
      }
      marker(p.lat, p.lon, { radius: hot ? 6 : 4, color: hot ? "#e8710a" : "#80868b", weight: 1, fillOpacity: 0.5 }, p.name);
      points.push([p.lat, p.lon]);
    });
    data.offices.forEach(function (o) {
      if (o.lat === null) return;
      marker(o.lat, o.lon, { radius: 7, color: "#3c4043", weight: 2, fillColor: "#fff", fillOpacity: 1 }, "🏠 " + o.name);
      points.push([o.lat, o.lon]);
    });
    data.members.forEach(function (m) {
      marker(m.lat, m.lon, { radius: 6, color: "#1a73e8", fillColor: "#8ab4f8", fillOpacity: 0.9 }, "🚶 " + m.name);
    });
    data.reports.forEach(function (r) {
      if (r.lat === null) return;
      const colour = STATUS_COLOUR[r.status] || "#80868b";
      const m = marker(r.lat, r.lon, {
        radius: r.urgent ? 11 : 8, color: r.urgent ? "#a50e0e" : colour, weight: r.urgent ? 4 : 2,
        fillColor: colour, fillOpacity: 0.8, className: "report-marker",
      }, r.number + " · " + label("category", r.category), function () { showReport(r.id); });
      m.getElement && m.getElement() && m.getElement().setAttribute("data-report", r.id);
      points.push([r.lat, r.lon]);
    });
    data.calls.forEach(function (c) {
      if (c.lat === null) return;
      const m = marker(c.lat, c.lon, {
        radius: 16, color: "#a50e0e", weight: 5, fillColor: "#d93025", fillOpacity: 0.9, className: "call-marker",
      }, "🚨 #" + c.id + " · " + step(c.step) + " · " + age(c.age_s), function () { showCall(c.id); });
      m.getElement && m.getElement() && m.getElement().setAttribute("data-call", c.id);
      points.push([c.lat, c.lon]);
    });
    if (!state.fitted && points.length) {
      state.map.fitBounds(points, { padding: [24, 24], maxZoom: 15 });
      state.fitted = true;
    }
    drawCalls();
  }

  function drawCalls() {
    const banner = $("calls-banner");
    const calls = state.data.calls;
    banner.hidden = calls.length === 0;
    banner.textContent = calls.map(function (c) {
      const who = c.owner ? " · " + c.owner : "";
      return "🚨 #" + c.id + " " + label("reason", c.reason) + " · " + c.office + " · " + step(c.step) + who + " · " + age(c.age_s);
    }).join("\n");
  }

  // the queue
  function option(select, value, text) {
    const o = document.createElement("option");
    o.value = value; o.textContent = text; select.appendChild(o);
  }

  function fillFilters() {
    const office = $("filter-office"), status = $("filter-status"), kind = $("filter-kind"), older = $("filter-age");
    [office, status, kind, older].forEach(function (s) { s.textContent = ""; });
    [["", "any_age"], ["900", "older_15m"], ["3600", "older_1h"], ["86400", "older_1d"]].forEach(function (a) { option(older, a[0], t(a[1])); });
    option(office, "", t("all_offices"));
    state.data.offices.forEach(function (o) { option(office, String(o.id), o.name); });
    option(status, "", t("all_statuses"));
    Object.keys(state.me.labels.status).forEach(function (k) { option(status, k, label("status", k)); });
    option(kind, "", t("all_kinds"));
    Object.keys(state.me.labels.category).forEach(function (k) { option(kind, k, label("category", k)); });
  }

  function drawQueue() {
    const list = $("queue");
    const office = $("filter-office").value, status = $("filter-status").value, kind = $("filter-kind").value;
    const older = Number($("filter-age").value || 0);
    list.textContent = "";
    state.data.calls.forEach(function (c) {
      if (office && String(c.office_id) !== office) return;
      if (c.age_s < older) return;
      const li = document.createElement("li");
      li.className = "call";
      li.dataset.call = c.id;
      li.addEventListener("click", function () { showCall(c.id); });
      li.textContent = "🚨 #" + c.id + " " + label("reason", c.reason) + " · " + c.office + " · " + step(c.step) + " · " + age(c.age_s);
      list.appendChild(li);
    });
    state.data.reports.filter(function (r) {
      return (!office || String(r.office_id) === office) && (!status || r.status === status) && (!kind || r.category === kind) && r.age_s >= older;
    }).forEach(function (r) {
      const li = document.createElement("li");
      li.className = "report status-" + r.status + (r.urgent ? " urgent" : "");
      li.dataset.report = r.id;
      li.textContent = (r.urgent ? "⚡ " : "") + r.number + " · " + label("category", r.category) + " · " + label("status", r.status) + " · " + r.office + " · " + age(r.age_s);
      li.addEventListener("click", function () { showReport(r.id); });
      list.appendChild(li);
    });
  }

  // one report: the chat's text, and the buttons the person may press
  function showReport(id) {
    state.open = id;
    api("reports/" + id).then(function (report) {
      $("detail-body").innerHTML = "<pre></pre>";
      $("detail-body").firstChild.innerHTML = report.html; // (escaped by the server, as in chat)
      photos(id, report.photos);
      voices(id, report.voices);
      const actions = $("detail-actions");
      actions.textContent = "";
      report.actions.forEach(function (a) {
        const b = document.createElement("button");
        b.type = "button"; b.textContent = a.label; b.dataset.action = a.action;
        b.addEventListener("click", function () {
          if (a.action === "info") ask(id, a, [{ name: "question", kind: "text" }]);
          else if (a.action === "res") ask(id, a, [{ name: "outcome", kind: "select", options: report.outcomes }, { name: "note", kind: "text" }]);
          else if (a.action === "hand") ask(id, a, [{ name: "officer", kind: "select", options: report.officers.map(function (o) { return { value: o.id, label: o.name }; }) }]);
          else act(id, a.action, {});
        });
        actions.appendChild(b);
      });
      $("detail").hidden = false;
    }).catch(function (e) { say(t("error") + " (" + e.status + ")"); });
  }

  // the report's photos: fetched with the person's initData (an <img> cannot carry it)
  function photos(id, count) {
    const box = document.createElement("div");
    box.className = "photos";
    $("detail-body").appendChild(box);
    for (let i = 0; i < count; i += 1) {
      const img = document.createElement("img");
      img.alt = "📷 " + (i + 1); img.dataset.photo = String(i);
      box.appendChild(img);
      fetch("api/reports/" + id + "/photos/" + i, { headers: { Authorization: "tma " + initData } }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.blob();
      }).then(function (blob) {
        img.src = URL.createObjectURL(blob);
        img.addEventListener("click", function () { img.classList.toggle("large"); });
      }).catch(function () { img.classList.add("missing"); });
    }
  }

  // the report's voice messages, played on the card (Telegram's OGG/Opus)
  function voices(id, count) {
    for (let i = 0; i < count; i += 1) {
      const audio = document.createElement("audio");
      audio.controls = true; audio.preload = "none"; audio.dataset.voice = String(i);
      $("detail-body").appendChild(audio);
      fetch("api/reports/" + id + "/voice/" + i, { headers: { Authorization: "tma " + initData } }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.blob();
      }).then(function (blob) { audio.src = URL.createObjectURL(blob); audio.dataset.loaded = "1"; })
        .catch(function () { audio.classList.add("missing"); });
    }
  }

  // what an action needs typed or chosen (a question; an outcome and a note; an officer)
  function ask(id, action, fields) {
    const box = $("detail-actions");
    box.textContent = "";
    const inputs = {};
    fields.forEach(function (f) {
      let input;
      if (f.kind === "select") {
        input = document.createElement("select");
        f.options.forEach(function (o) { option(input, String(o.value), o.label); });
      } else {
        input = document.createElement("textarea");
        input.rows = 3; input.maxLength = 1000;
      }
      input.name = f.name;
      inputs[f.name] = input;
      box.appendChild(input);
    });
    const send = document.createElement("button");
    send.type = "button"; send.textContent = action.label; send.dataset.action = action.action + "-send";
    send.addEventListener("click", function () {
      const body = {};
      Object.keys(inputs).forEach(function (name) {
        body[name] = name === "officer" ? Number(inputs[name].value) : inputs[name].value;
      });
      act(id, action.action, body);
    });
    box.appendChild(send);
  }

  // one backup call: its timeline, as in chat, and the alert's buttons (我去, 去不了)
  function showCall(id) {
    state.open = null;
    api("calls/" + id).then(function (call) {
      $("detail-body").innerHTML = "<pre></pre>";
      $("detail-body").firstChild.innerHTML = call.html; // (escaped by the server, as in chat)
      const actions = $("detail-actions");
      actions.textContent = "";
      call.actions.forEach(function (a) {
        const b = document.createElement("button");
        b.type = "button"; b.textContent = a.label; b.dataset.action = a.action;
        b.addEventListener("click", function () {
          api("calls/" + id + "/" + a.action, { method: "POST" }).then(function () {
            say(t("done")); refresh().then(function () { showCall(id); });
          }).catch(function (e) { say(t("error") + " (" + e.status + ")"); });
        });
        actions.appendChild(b);
      });
      $("detail").hidden = false;
    }).catch(function (e) { say(t("error") + " (" + e.status + ")"); });
  }

  function act(id, action, body) {
    api("reports/" + id + "/" + action, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}),
    }).then(function () {
      say(t("done"));
      refresh().then(function () { showReport(id); });
    }).catch(function (e) { say(t("error") + " (" + e.status + ")"); });
  }

  // today and the week
  function drawToday(today) {
    const box = $("today");
    box.textContent = "";
    if (today.peak) {
      const p = document.createElement("p"); p.className = "peak"; p.textContent = today.peak; box.appendChild(p);
    }
    const table = document.createElement("table");
    today.rows.forEach(function (row) {
      const tr = document.createElement("tr");
      tr.className = "slot-" + row.state;
      [row.office, row.area + (row.hot ? " 🔥" : ""), row.hours, row.member || t("unfilled"), label("slot", row.state)].forEach(function (text) {
        const td = document.createElement("td"); td.textContent = text; tr.appendChild(td);
      });
      table.appendChild(tr);
    });
    box.appendChild(table);
  }

  function bars(title, series) {
    const box = document.createElement("figure");
    const caption = document.createElement("figcaption"); caption.textContent = title; box.appendChild(caption);
    const max = Math.max.apply(null, series.map(function (s) { return s.value; }).concat([1]));
    series.forEach(function (s) {
      const row = document.createElement("div"); row.className = "bar";
      const name = document.createElement("span"); name.textContent = s.name;
      const fill = document.createElement("i"); fill.style.width = Math.round((s.value / max) * 100) + "%";
      const value = document.createElement("b"); value.textContent = s.text || String(s.value);
      row.appendChild(name); row.appendChild(fill); row.appendChild(value); box.appendChild(row);
    });
    return box;
  }

  function drawWeek(week) {
    const box = $("week");
    box.textContent = "";
    if (week.zeros) {
      const p = document.createElement("p"); p.className = "zeros"; p.textContent = week.zeros; box.appendChild(p);
    }
    week.charts.forEach(function (chart) { box.appendChild(bars(chart.title, chart.series)); });
    const download = document.createElement("button");
    download.type = "button"; download.className = "action"; download.id = "export";
    download.textContent = t("export");
    download.addEventListener("click", function () {
      fetch("api/export", { headers: { Authorization: "tma " + initData } }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.blob();
      }).then(function (blob) {
        const link = document.createElement("a");
        link.href = URL.createObjectURL(blob); link.download = "mulan-week.xlsx";
        document.body.appendChild(link); link.click(); link.remove();
      }).catch(function () { say(t("error")); });
    });
    box.appendChild(download);
  }

  function refresh() {
    return api("map").then(function (data) {
      state.data = data;
      state.version = data.version;
      drawMap();
      drawQueue();
      if ($("view-today").classList.contains("active")) {
        api("today").then(drawToday).catch(function () { say(t("error")); });
      }
      document.body.dataset.loaded = "1";
    });
  }

  function poll() {
    api("version").then(function (v) {
      if (v.version !== state.version) return refresh();
      return null;
    }).catch(function () { return null; }).then(function () { setTimeout(poll, POLL_MS); });
  }

  function tabs() {
    document.querySelectorAll("#tabs button").forEach(function (button) {
      button.textContent = t("tab_" + button.dataset.tab);
      button.addEventListener("click", function () {
        document.querySelectorAll("#tabs button").forEach(function (b) { b.classList.remove("active"); });
        document.querySelectorAll(".view").forEach(function (v) { v.classList.remove("active"); });
        button.classList.add("active");
        $("view-" + button.dataset.tab).classList.add("active");
        if (button.dataset.tab === "map") state.map.invalidateSize();
        if (button.dataset.tab === "today") api("today").then(drawToday).catch(function () { say(t("error")); });
        if (button.dataset.tab === "week") api("week").then(drawWeek).catch(function () { say(t("error")); });
      });
    });
    ["filter-office", "filter-status", "filter-kind", "filter-age"].forEach(function (id) { $(id).addEventListener("change", drawQueue); });
    $("detail-close").addEventListener("click", function () { $("detail").hidden = true; state.open = null; });
  }

  function start() {
    theme();
    if (tg) { tg.ready(); tg.expand(); }
    api("me").then(function (me) {
      state.me = me;
      document.documentElement.lang = me.locale.startsWith("zh") ? "zh" : "en";
      document.title = t("title");
      tabs();
      setupMap();
      return refresh();
    }).then(function () { fillFilters(); drawQueue(); poll(); }).catch(function (e) {
      document.body.dataset.loaded = "error";
      say(e.status === 401 || e.status === 403 ? "⛔ " + (e.status) : "⚠️ " + (e.status || ""));
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
