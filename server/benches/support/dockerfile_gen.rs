//! A deterministic generator of large, realistic Dockerfiles for the benchmarks.
//!
//! `generate(lines, seed)` returns a Dockerfile of exactly `lines` lines (each ending in `\n`):
//! a `# syntax=` directive, global ARGs, then many stages (apt, pip, npm, go and script
//! flavoured) with long continuation lines (package lists of 5 to 40 lines, with a comment and
//! a blank line inside some of them), RUN and COPY heredocs, ENV/LABEL blocks, comments and
//! blank lines, consecutive small RUNs, and a final runtime stage built on an earlier stage
//! with USER, EXPOSE, HEALTHCHECK, ENTRYPOINT and CMD. A few deliberate findings are sprinkled
//! in (a missing `--no-install-recommends`, pip without `--no-cache-dir`, `COPY .` before an
//! install, a relative WORKDIR, `ADD` of a local file) so that the rules have something to
//! report, as in a real file.
//!
//! No dependencies: a SplitMix64 generator makes the output the same on every machine.

/// SplitMix64: small, fast, deterministic.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `lo..hi` (`lo` when the range is empty).
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        if hi <= lo {
            return lo;
        }
        lo + usize::try_from(self.next_u64() % (hi - lo) as u64).unwrap_or(0)
    }
    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len())]
    }
}

const APT: &[&str] = &[
    "ca-certificates",
    "curl",
    "git",
    "build-essential",
    "pkg-config",
    "libssl-dev",
    "libffi-dev",
    "libpq-dev",
    "zlib1g-dev",
    "libxml2-dev",
    "unzip",
    "xz-utils",
    "gnupg",
    "dirmngr",
    "tzdata",
    "locales",
    "jq",
    "openssh-client",
    "rsync",
    "make",
    "cmake",
    "ninja-build",
    "python3-dev",
    "libsqlite3-dev",
    "libbz2-dev",
    "tini",
    "gosu",
    "procps",
    "iproute2",
    "wget",
    "file",
    "patch",
    "libpng-dev",
    "libyaml-dev",
    "libicu-dev",
    "gettext-base",
    "sqlite3",
];
const PIP: &[&str] = &[
    "fastapi==0.110.0",
    "uvicorn[standard]==0.29.0",
    "gunicorn==21.2.0",
    "requests==2.31.0",
    "pydantic==2.6.4",
    "sqlalchemy==2.0.29",
    "alembic==1.13.1",
    "celery==5.3.6",
    "redis==5.0.3",
    "boto3==1.34.70",
    "structlog==24.1.0",
    "httpx==0.27.0",
];
const WORDS: &[&str] = &[
    "api",
    "worker",
    "gateway",
    "indexer",
    "scheduler",
    "billing",
    "auth",
    "search",
    "ingest",
    "render",
    "metrics",
    "notifier",
    "export",
    "sync",
    "cache",
    "proxy",
];
const BASES: &[(&str, &str)] = &[
    ("python", "python:3.12-slim-bookworm"),
    ("node", "node:20-bookworm-slim"),
    ("go", "golang:1.22-bookworm"),
    ("debian", "debian:bookworm-slim"),
    ("script", "${BASE_IMAGE}"),
];

struct Gen {
    rng: Rng,
    out: Vec<String>,
    stages: Vec<String>,
    counter: usize,
    heredocs: bool,
}

impl Gen {
    fn uid(&mut self) -> usize {
        self.counter += 1;
        self.counter
    }
    fn word(&mut self) -> &'static str {
        let word: &&'static str = self.rng.pick(WORDS);
        word
    }
    fn push(&mut self, line: impl Into<String>) {
        self.out.push(line.into());
    }
    /// `first \` then `items` one per line, each continued except the last.
    fn continued(&mut self, first: String, items: &[String]) {
        self.push(format!("{first} \\"));
        for (k, item) in items.iter().enumerate() {
            if k + 1 == items.len() {
                self.push(item.clone());
            } else {
                self.push(format!("{item} \\"));
            }
        }
    }

    fn comment(&mut self) {
        let w = self.word();
        let line = match self.rng.range(0, 4) {
            0 => format!("# Build the {w} component."),
            1 => "# Copy only the manifest first to make better use of the layer cache.".into(),
            2 => format!("# {w}: keep this layer small"),
            _ => "# ----------------------------------------------------------------".into(),
        };
        self.push(line);
    }

    fn env(&mut self) {
        let n = self.rng.range(1, 6);
        let id = self.uid();
        let items: Vec<String> = (0..n)
            .map(|k| format!("    {}_{id}_{k}=\"value-{k}\"", self.word().to_uppercase()))
            .collect();
        if n == 1 {
            self.push(format!("ENV {}", items[0].trim_start()));
        } else {
            self.continued("ENV LANG=C.UTF-8".into(), &items);
        }
    }

    fn label(&mut self) {
        let id = self.uid();
        let items = vec![
            format!("      org.opencontainers.image.version=\"1.{id}.0\""),
            "      org.opencontainers.image.vendor=\"Example\"".to_string(),
            format!("      com.example.component=\"{}\"", self.word()),
        ];
        self.continued(
            "LABEL org.opencontainers.image.title=\"service\"".into(),
            &items,
        );
    }

    fn run_apt(&mut self) {
        let n = self.rng.range(5, 40);
        let mut pkgs: Vec<&str> = (0..n).map(|_| *self.rng.pick(APT)).collect();
        pkgs.sort_unstable();
        pkgs.dedup();
        let recommends = if self.rng.chance(5) {
            ""
        } else {
            " --no-install-recommends"
        };
        let mut items = vec![format!("    && apt-get install -y{recommends}")];
        items.extend(pkgs.iter().map(|p| format!("        {p}")));
        if self.rng.chance(20) {
            // a comment and a blank line inside the continuation
            let at = self.rng.range(1, items.len());
            items.insert(at, "        # pinned by the base image".into());
        }
        items.push("    && rm -rf /var/lib/apt/lists/*".into());
        // continuation lines end with `\`, but comment lines inside must not
        self.push("RUN apt-get update \\");
        for (k, item) in items.iter().enumerate() {
            if item.trim_start().starts_with('#') {
                self.push(item.clone());
                self.push("");
            } else if k + 1 == items.len() {
                self.push(item.clone());
            } else {
                self.push(format!("{item} \\"));
            }
        }
    }

    fn run_script(&mut self) {
        let id = self.uid();
        let w = self.word();
        let steps = [
            format!("    curl -fsSL --retry 5 -o /tmp/{w}.tgz \"https://downloads.example.invalid/{w}/v${{APP_VERSION}}/{w}-linux.tar.gz\";"),
            format!("    mkdir -p /opt/{w}-{id};"),
            format!("    tar -xzf /tmp/{w}.tgz -C /opt/{w}-{id} --strip-components=1;"),
            format!("    rm -f /tmp/{w}.tgz;"),
            format!("    ln -sf /opt/{w}-{id}/bin/{w} /usr/local/bin/{w};"),
            format!("    chown -R 10001:10001 /opt/{w}-{id};"),
            format!("    find /opt/{w}-{id} -name \"*.a\" -delete"),
        ];
        self.continued("RUN set -eux;".into(), &steps);
    }

    fn run_pip(&mut self) {
        let n = self.rng.range(3, 10);
        let items: Vec<String> = (0..n)
            .map(|_| format!("        {}", self.rng.pick(PIP)))
            .collect();
        let flag = if self.rng.chance(10) {
            ""
        } else {
            " --no-cache-dir"
        };
        self.push("COPY requirements.txt /app/requirements.txt");
        self.continued(format!("RUN pip install{flag}"), &items);
    }

    fn run_npm(&mut self) {
        if self.rng.chance(10) {
            self.push("COPY . /app");
            self.push("RUN npm ci --omit=dev");
        } else {
            self.push("COPY package.json package-lock.json /app/");
            self.push("RUN npm ci --omit=dev");
            self.push("COPY . /app");
            self.push("RUN npm run build");
        }
    }

    fn run_go(&mut self) {
        self.push("COPY go.mod go.sum ./");
        self.push("RUN --mount=type=cache,target=/root/go/pkg/mod go mod download");
        self.push("COPY . .");
        let w = self.word();
        self.push(format!(
            "RUN --mount=type=cache,target=/root/.cache/go-build CGO_ENABLED=0 go build -o /out/{w} ./cmd/{w}"
        ));
    }

    fn heredoc(&mut self) {
        let id = self.uid();
        let w = self.word();
        if self.rng.chance(50) {
            self.push("RUN <<EOF");
            self.push("set -eux");
            for k in 0..self.rng.range(2, 8) {
                self.push(format!("echo \"step {k} of {w}-{id}\" >> /var/log/{w}.log"));
            }
            self.push(format!("useradd --system --uid 1{id:04} {w}{id} || true"));
            self.push("EOF");
        } else {
            self.push(format!("COPY <<-'CONF' /etc/{w}/{w}-{id}.conf"));
            self.push(format!("\t[{w}]"));
            for k in 0..self.rng.range(2, 6) {
                self.push(format!("\toption_{k} = ${{NOT_EXPANDED_{k}}}"));
            }
            self.push("\tCONF");
        }
    }

    fn misc(&mut self) {
        let w = self.word();
        let id = self.uid();
        match self.rng.range(0, 8) {
            0 => self.push(format!("EXPOSE {}", 8000 + id % 1000)),
            1 => self.push(format!("ARG {}_VERSION=1.{id}", w.to_uppercase())),
            2 => self.push(format!("WORKDIR /srv/{w}")),
            3 => self.push(format!(
                "COPY --chown=10001:10001 ./config/{w}.yaml /etc/{w}/config.yaml"
            )),
            4 => {
                // two small RUNs in a row
                self.push(format!("RUN mkdir -p /var/lib/{w}"));
                self.push(format!("RUN chown 10001 /var/lib/{w}"));
            }
            5 if self.rng.chance(30) => self.push(format!("ADD ./vendor/{w}.tar /opt/")),
            6 if self.rng.chance(30) => self.push(format!("WORKDIR {w}")),
            _ => self.push(format!("USER {w}")),
        }
    }

    fn stage(&mut self) {
        let (flavour, image) = *self.rng.pick(BASES);
        let id = self.uid();
        let name = format!("{flavour}-{}-{id}", self.word());
        if !self.stages.is_empty() && self.rng.chance(25) {
            let parent = self.rng.pick(&self.stages).clone();
            self.push(format!("FROM {parent} AS {name}"));
        } else {
            self.push(format!("FROM {image} AS {name}"));
        }
        self.stages.push(name);
        self.push(format!("WORKDIR /app/{id}"));
        for _ in 0..self.rng.range(4, 14) {
            match self.rng.range(0, 12) {
                0 | 1 => self.run_apt(),
                2 => self.run_script(),
                3 => match flavour {
                    "python" => self.run_pip(),
                    "node" => self.run_npm(),
                    "go" => self.run_go(),
                    _ => self.run_script(),
                },
                4 | 5 if self.heredocs => self.heredoc(),
                4 | 5 => self.run_script(),
                6 => self.env(),
                7 => self.label(),
                8 => self.comment(),
                9 => self.push(""),
                _ => self.misc(),
            }
        }
        self.push("");
    }

    fn runtime_stage(&mut self) -> Vec<String> {
        let base = self
            .stages
            .first()
            .cloned()
            .unwrap_or_else(|| "debian:bookworm-slim".into());
        let mut lines = vec![format!("FROM {base} AS runtime"), "WORKDIR /app".into()];
        for s in self.stages.iter().rev().take(3) {
            lines.push(format!("COPY --from={s} /out/ /usr/local/bin/"));
        }
        lines.extend(
            [
                "USER 10001:10001",
                "EXPOSE 8080",
                "HEALTHCHECK --interval=30s --timeout=3s CMD [\"/usr/local/bin/healthcheck\"]",
                "ENTRYPOINT [\"/usr/bin/tini\", \"--\"]",
                "CMD [\"/usr/local/bin/server\", \"--port\", \"8080\"]",
            ]
            .map(String::from),
        );
        lines
    }
}

/// A Dockerfile of exactly `lines` lines (at least 1), the same for the same arguments.
#[must_use]
pub fn generate(lines: usize, seed: u64) -> String {
    generate_with(lines, seed, true)
}

/// [`generate`], with or without heredocs (hadolint 2.15 stops parsing at the first instruction
/// after a heredoc).
#[must_use]
pub fn generate_with(lines: usize, seed: u64, heredocs: bool) -> String {
    let lines = lines.max(1);
    let mut g = Gen {
        rng: Rng::new(seed),
        out: Vec::with_capacity(lines + 64),
        stages: Vec::new(),
        counter: 0,
        heredocs,
    };
    let header = [
        "# syntax=docker/dockerfile:1.7",
        "# Generated by layerwise's benchmark generator.",
        "ARG BASE_IMAGE=debian:bookworm-slim",
        "ARG APP_VERSION=1.0.0",
        "",
    ];
    g.out.extend(header.iter().map(|s| (*s).to_string()));
    let tail_len = 12;
    while g.out.len() + tail_len < lines {
        let before = g.out.len();
        g.stage();
        if g.out.len() + tail_len > lines {
            // the stage does not fit: drop it and fill with one-line instructions
            g.out.truncate(before);
            g.stages.pop();
            break;
        }
    }
    let tail = g.runtime_stage();
    while g.out.len() + tail.len() < lines {
        let n = g.out.len();
        g.push(if n % 3 == 0 {
            format!("# filler {n}")
        } else {
            format!("LABEL filler.{n}=\"yes\"")
        });
    }
    g.out.extend(tail);
    g.out.truncate(lines);
    let mut text = g.out.join("\n");
    text.push('\n');
    text
}

/// The line nearest the middle of `text` where an instruction starts (outside continuations and
/// heredocs), for edits "in the middle of the file". Lines are 0-based.
#[must_use]
pub fn middle_instruction_line(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut starts = Vec::new();
    let mut continued = false;
    let mut heredoc: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        if let Some(end) = &heredoc {
            if line.trim_start_matches('\t') == end {
                heredoc = None;
            }
            continue;
        }
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        if !continued {
            starts.push(i);
            if let Some(at) = line.find("<<") {
                let word: String = line[at + 2..]
                    .trim_start_matches('-')
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .filter(|c| *c != '\'' && *c != '"')
                    .collect();
                if !word.is_empty() {
                    heredoc = Some(word);
                }
            }
        }
        continued = trimmed.ends_with('\\');
    }
    let middle = lines.len() / 2;
    starts
        .into_iter()
        .min_by_key(|&i| i.abs_diff(middle))
        .unwrap_or(0)
}
