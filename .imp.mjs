const t0 = performance.now(); await import("mupdf"); console.log((performance.now() - t0).toFixed(0));
