/* The recruiter's interactive gap map: Leaflet draws the gaps' GeoJSON (from this site) with the
 * fixed classes, legible names, and each community's figures in a popup that a click or Enter
 * opens. What it needs is in the page's JSON block #gapmap-data (written by api/pages/gaps.py).
 * Base tiles only when the operator set a tile server; otherwise nothing leaves this site.
 * Without JavaScript, or when anything here fails, the page keeps its server-drawn SVG map. */
(function () {
  "use strict";

  var SUPPRESSED = "#9e9e9e";
  var NO_DATA = "#ffffff";

  function start() {
    var holder = document.getElementById("gapmap");
    var block = document.getElementById("gapmap-data");
    if (!holder || !block || !window.L) {
      return;
    }
    var config = JSON.parse(block.textContent);
    fetch(config.geojson, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("the map data answered " + response.status);
        }
        return response.json();
      })
      .then(function (collection) {
        draw(holder, config, collection);
      })
      .catch(function (error) {
        holder.hidden = true; // the SVG map stays
        holder.dataset.error = String(error);
      });
  }

  function style(feature, config) {
    var p = feature.properties;
    var base = { color: "#4d4d4d", weight: 1, opacity: 1, fillOpacity: config.tiles ? 0.75 : 1 };
    if (p.gap_class !== null && p.gap_class !== undefined) {
      base.fillColor = config.classes[p.gap_class].colour;
    } else if (p.suppressed) {
      base.fillColor = SUPPRESSED;
      base.dashArray = "3 2";
    } else {
      base.fillColor = NO_DATA;
    }
    return base;
  }

  function popupContent(id, config) {
    var info = config.communities[id] || { lines: [id], href: null };
    var box = document.createElement("div");
    box.className = "gapmap-popup";
    box.dataset.id = id;
    var heading = document.createElement("h3");
    heading.textContent = info.lines[0];
    box.appendChild(heading);
    var list = document.createElement("ul");
    info.lines.slice(1).forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    });
    box.appendChild(list);
    if (info.href) {
      var link = document.createElement("a");
      link.href = info.href;
      link.textContent = config.words.open;
      box.appendChild(link);
    }
    return box;
  }

  function overlaps(a, b) {
    return !(a.right <= b.left || a.left >= b.right || a.bottom <= b.top || a.top >= b.bottom);
  }

  // names that would cover one another: the larger community keeps its name, the other's waits
  // for a closer zoom (its figures stay one click away)
  function declutter(labels) {
    var placed = [];
    labels.forEach(function (label) {
      var element = label.getElement();
      if (!element) {
        return;
      }
      element.classList.remove("gapmap-hidden");
      var box = element.getBoundingClientRect();
      if (placed.some(function (other) { return overlaps(box, other); })) {
        element.classList.add("gapmap-hidden");
      } else {
        placed.push(box);
      }
    });
  }

  function draw(holder, config, collection) {
    holder.hidden = false;
    document.querySelectorAll(".gapmap").forEach(function (svg) { svg.hidden = true; });
    ["gapmap-legend", "gapmap-live-hint"].forEach(function (id) {
      var element = document.getElementById(id);
      if (element) { element.hidden = false; }
    });
    var hint = document.getElementById("gapmap-hint");
    if (hint) { hint.hidden = true; }

    var map = L.map(holder, { zoomSnap: 0.25, attributionControl: Boolean(config.tiles) });
    if (config.tiles) {
      L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: 19 }).addTo(map);
    }
    var openedByKey = null;
    var labels = [];
    var layer = L.geoJSON(collection, {
      style: function (feature) { return style(feature, config); },
      onEachFeature: function (feature, shape) {
        shape.bindPopup(function () { return popupContent(feature.id, config); }, { maxWidth: 360 });
        var name = document.createElement("span");
        name.textContent = feature.properties.name;
        var at = feature.properties.label_at;
        var label = L.tooltip({
          permanent: true, direction: "center", className: "gapmap-label", interactive: false, opacity: 1
        }).setLatLng([at[1], at[0]]).setContent(name);
        labels.push({ label: label, shape: shape });
      }
    }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [8, 8] });

    // the larger communities first: their names win a clash
    labels.forEach(function (item) {
      var b = item.shape.getBounds();
      item.size = (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest());
    });
    labels.sort(function (a, b) { return b.size - a.size; });
    var tooltips = labels.map(function (item) { return item.label.addTo(map); });

    layer.eachLayer(function (shape) {
      var path = shape.getElement();
      var feature = shape.feature;
      if (!path) { return; }
      path.setAttribute("tabindex", "0");
      path.setAttribute("role", "button");
      // its name and class, as the legend says it; Enter gives the figures
      var heading = (config.communities[feature.id] || { lines: [feature.properties.name] }).lines[0];
      var kind = feature.properties.gap_class;
      var said = kind !== null && kind !== undefined ? config.classes[kind].label
        : feature.properties.suppressed ? config.words.suppressed : "";
      path.setAttribute("aria-label", said ? heading + ": " + said : heading);
      path.dataset.id = feature.id;
      path.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          openedByKey = path;
          shape.openPopup();
        }
      });
    });
    map.on("popupopen", function (event) {
      if (openedByKey) {
        var link = event.popup.getElement().querySelector("a[href^='/pages/']");
        if (link) { link.focus(); }
      }
    });
    map.on("popupclose", function () {
      if (openedByKey) {
        openedByKey.focus();
        openedByKey = null;
      }
    });
    // Escape closes the figures wherever the focus is (Leaflet only listens on the map itself)
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { map.closePopup(); }
    });
    function settle() {
      declutter(tooltips);
      holder.dataset.zoom = String(map.getZoom());
    }
    map.on("zoomend moveend", settle);
    settle();
    holder.dataset.ready = "1";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
