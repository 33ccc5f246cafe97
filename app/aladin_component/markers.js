// The candidates as a layer of pixels over Aladin Lite. Aladin's catalogue layer draws every
// source with one canvas drawImage call on every frame it renders: about half a second a frame
// at 100,000 sources under headless Chromium's software renderer, and it renders many frames
// while tiles load. Here a redraw is one pass over typed arrays and one putImageData.
//
// Positions follow the sky's SIN (orthographic) projection: standard coordinates about the view
// centre, mapped to pixels by an affine transform fitted at each redraw to three points placed
// by aladin.world2pix, so a marker sits where Aladin itself would draw it.

const DEG = Math.PI / 180;
const RADIUS = 4;          // marker ring radius, CSS pixels
const CLICK_RADIUS = 8;    // how near a click must fall to pick a marker, CSS pixels

function rgba(hex) {
  // "#rrggbb" as a little-endian RGBA pixel word (ImageData byte order), fully opaque.
  const value = parseInt(hex.slice(1), 16);
  return ((0xff << 24) | ((value & 0xff) << 16) | (value & 0xff00) | (value >> 16)) >>> 0;
}

function ringOffsets(radius) {
  const offsets = [];
  for (let dy = -radius - 1; dy <= radius + 1; dy++) {
    for (let dx = -radius - 1; dx <= radius + 1; dx++) {
      if (Math.abs(Math.hypot(dx, dy) - radius) < 0.8) offsets.push([dx, dy]);
    }
  }
  return offsets;
}

class MarkerLayer {
  constructor(aladin, host, bins, colours) {
    this.aladin = aladin;
    this.host = host;
    this.bins = bins;
    this.colours = colours.map(rgba);
    this.canvas = document.createElement("canvas");
    this.canvas.className = "ringsky-markers";
    this.canvas.style.cssText = "position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none;";
    const catalogueCanvas = host.querySelector(".aladin-catalogCanvas");
    if (catalogueCanvas) catalogueCanvas.after(this.canvas); else host.appendChild(this.canvas);
    this.context = this.canvas.getContext("2d");
    this.view = "";
    requestAnimationFrame(this.frame.bind(this));
  }

  setPositions(ra, dec, p, row) {
    // Every candidate of the catalogue, once per catalogue, in drawing order (the most probable
    // last, so they stay on top); `show` then picks the filtered ones by catalogue row.
    const n = ra.length;
    this.row = row;
    this.ra = new Float64Array(n);
    this.cosDec = new Float64Array(n);
    this.sinDec = new Float64Array(n);
    this.bin = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      this.ra[i] = ra[i] * DEG;
      this.cosDec[i] = Math.cos(dec[i] * DEG);
      this.sinDec[i] = Math.sin(dec[i] * DEG);
      let k = 0;
      while (k < this.bins.length - 1 && p[i] >= this.bins[k]) k++;
      this.bin[i] = k;
    }
    this.x = new Float32Array(n);
    this.y = new Float32Array(n);
    this.shown = new Uint8Array(n);
  }

  show(mask) {
    // mask: null for every candidate, else one bit per catalogue row (numpy packbits, little).
    let count = 0;
    for (let i = 0; i < this.shown.length; i++) {
      const row = this.row[i];
      this.shown[i] = mask === null ? 1 : (mask[row >> 3] >> (row & 7)) & 1;
      count += this.shown[i];
    }
    this.redraw();
    return count;
  }

  frame() {
    // Redraw when the view moved, zoomed or was resized; Aladin resizes its projection a moment
    // after its element (a debounced resize), which moves the pixel of the centre.
    const centre = this.aladin.getRaDec();
    const view = [centre[0], centre[1], this.aladin.getFov()[0], this.host.clientWidth, this.host.clientHeight,
                  this.aladin.world2pix(centre[0], centre[1])].join();
    if (view !== this.view) {
      this.view = view;
      this.redraw();
    }
    requestAnimationFrame(this.frame.bind(this));
  }

  transform(ra0, dec0) {
    // Affine map from standard coordinates about (ra0, dec0) to pixels, from three points.
    const step = Math.max(1e-4, 0.05 * this.aladin.getFov()[0]);
    const points = [[ra0, dec0], [ra0 + step / Math.max(0.05, Math.cos(dec0 * DEG)), dec0],
                    [ra0, dec0 + (dec0 > 0 ? -step : step)]];
    const pixels = points.map(function (point) { return this.aladin.world2pix(point[0], point[1]); }, this);
    if (pixels.some(function (pixel) { return !pixel; })) return null;
    const standard = points.map(function (point) {
      return this.standard(point[0] * DEG, Math.cos(point[1] * DEG), Math.sin(point[1] * DEG), ra0 * DEG, dec0 * DEG);
    }, this);
    const [xi1, eta1] = standard[1], [xi2, eta2] = standard[2];
    const det = xi1 * eta2 - xi2 * eta1;
    const dx1 = pixels[1][0] - pixels[0][0], dy1 = pixels[1][1] - pixels[0][1];
    const dx2 = pixels[2][0] - pixels[0][0], dy2 = pixels[2][1] - pixels[0][1];
    return {
      a: (dx1 * eta2 - dx2 * eta1) / det, b: (dx2 * xi1 - dx1 * xi2) / det,
      c: (dy1 * eta2 - dy2 * eta1) / det, d: (dy2 * xi1 - dy1 * xi2) / det,
      x0: pixels[0][0], y0: pixels[0][1],
    };
  }

  standard(ra, cosDec, sinDec, ra0, dec0) {
    const cosDra = Math.cos(ra - ra0);
    return [cosDec * Math.sin(ra - ra0), Math.cos(dec0) * sinDec - Math.sin(dec0) * cosDec * cosDra];
  }

  redraw() {
    const scale = window.devicePixelRatio || 1;
    const width = Math.round(this.host.clientWidth * scale), height = Math.round(this.host.clientHeight * scale);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.image = null;
    }
    if (!width || !height || !this.row) return;
    if (!this.image) {
      this.image = this.context.createImageData(width, height);
      this.pixels = new Uint32Array(this.image.data.buffer);
      this.offsets = ringOffsets(Math.round(RADIUS * scale));
    }
    this.pixels.fill(0);
    this.x.fill(NaN);
    const centre = this.aladin.getRaDec();
    const map = this.transform(centre[0], centre[1]);
    if (map) this.paint(map, centre[0] * DEG, centre[1] * DEG, scale, width, height);
    this.context.putImageData(this.image, 0, 0);
  }

  paint(map, ra0, dec0, scale, width, height) {
    const sinDec0 = Math.sin(dec0), cosDec0 = Math.cos(dec0), pixels = this.pixels, offsets = this.offsets;
    const margin = (RADIUS + 2) * scale;
    for (let i = 0; i < this.row.length; i++) {
      if (!this.shown[i]) continue;
      const dra = this.ra[i] - ra0, cosDra = Math.cos(dra);
      if (sinDec0 * this.sinDec[i] + cosDec0 * this.cosDec[i] * cosDra <= 0) continue;  // far side
      const xi = this.cosDec[i] * Math.sin(dra), eta = cosDec0 * this.sinDec[i] - sinDec0 * this.cosDec[i] * cosDra;
      const x = map.x0 + map.a * xi + map.b * eta, y = map.y0 + map.c * xi + map.d * eta;
      const px = Math.round(x * scale), py = Math.round(y * scale);
      if (px < -margin || py < -margin || px >= width + margin || py >= height + margin) continue;
      this.x[i] = x;
      this.y[i] = y;
      const colour = this.colours[this.bin[i]];
      if (px >= margin && py >= margin && px < width - margin && py < height - margin) {
        for (let k = 0; k < offsets.length; k++) pixels[(py + offsets[k][1]) * width + px + offsets[k][0]] = colour;
      } else {
        for (let k = 0; k < offsets.length; k++) {
          const qx = px + offsets[k][0], qy = py + offsets[k][1];
          if (qx >= 0 && qy >= 0 && qx < width && qy < height) pixels[qy * width + qx] = colour;
        }
      }
    }
  }

  at(x, y) {
    // The catalogue row of the candidate drawn nearest to (x, y) CSS pixels within
    // CLICK_RADIUS, else -1.
    let best = -1, bestDistance = CLICK_RADIUS * CLICK_RADIUS;
    for (let i = 0; i < this.x.length; i++) {
      const dx = this.x[i] - x, dy = this.y[i] - y, distance = dx * dx + dy * dy;
      if (distance <= bestDistance) { best = i; bestDistance = distance; }
    }
    return best < 0 ? -1 : this.row[best];
  }

  pixel(row) {
    // Where the candidate of catalogue row `row` is drawn (CSS pixels), or null when it is not.
    const i = this.row.indexOf(row);
    return i < 0 || Number.isNaN(this.x[i]) ? null : [this.x[i], this.y[i]];
  }
}
