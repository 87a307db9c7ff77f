// A tiny static file server for the generated site, like S3/CloudFront serve it:
// "/dir/" -> dir/index.html, "/dir" -> 301 to "/dir/" when the folder exists,
// anything missing -> 404 with /404.html. It sends the strict Content-Security-Policy
// the portal is served with (no 'unsafe-inline'), so the tests see CSP violations.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".pdf": "application/pdf",
  ".txt": "text/plain; charset=utf-8",
  ".xml": "application/xml; charset=utf-8",
  ".png": "image/png",
};

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p) {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Starts the server on a free port of 127.0.0.1; resolves { url, close }. */
export function serve(root) {
  root = path.resolve(root);
  if (!isFile(path.join(root, "index.html"))) {
    throw new Error(`${root} has no index.html: build the site first (cargo run -p static-site -- --out ${root})`);
  }
  const server = http.createServer((req, res) => {
    const headers = { "content-security-policy": CSP, "x-content-type-options": "nosniff" };
    let urlPath;
    try {
      urlPath = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    } catch {
      res.writeHead(400, headers).end("bad request");
      return;
    }
    const send = (status, file) => {
      const type = TYPES[path.extname(file)] || "application/octet-stream";
      res.writeHead(status, { ...headers, "content-type": type });
      if (req.method === "HEAD") res.end();
      else fs.createReadStream(file).pipe(res);
    };
    const target = path.resolve(root, "." + urlPath);
    if (target !== root && !target.startsWith(root + path.sep)) {
      send(404, path.join(root, "404.html"));
      return;
    }
    if (urlPath.endsWith("/") && isFile(path.join(target, "index.html"))) {
      send(200, path.join(target, "index.html"));
    } else if (!urlPath.endsWith("/") && isFile(target)) {
      send(200, target);
    } else if (!urlPath.endsWith("/") && isDir(target) && isFile(path.join(target, "index.html"))) {
      res.writeHead(301, { ...headers, location: urlPath + "/" }).end();
    } else {
      send(404, path.join(root, "404.html"));
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
