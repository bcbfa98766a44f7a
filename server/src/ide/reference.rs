//! What the editing features know about the Dockerfile language itself: each instruction's
//! snippet and forms, each flag with its values, the `--mount` types and keys, the predefined
//! build arguments, the parser directives and BuildKit's check names, and a short list of
//! official images. Plain tables, written for layerwise (the wording is ours), checked against
//! the Dockerfile reference of BuildKit 0.26 / `docker/dockerfile:1`.

use crate::syntax::Keyword;

/// One instruction: how completion inserts it, what it does, and its forms (signature help).
#[derive(Debug)]
pub struct InstructionDoc {
    pub keyword: Keyword,
    /// A snippet in LSP syntax (`${1:src}`), keyword included.
    pub snippet: &'static str,
    pub summary: &'static str,
    /// Each form as a list of parameters after the keyword (`[--from=<stage>]`, `<src>...`).
    pub forms: &'static [&'static [&'static str]],
}

/// Every instruction, in [`Keyword::ALL`] order.
pub const INSTRUCTIONS: &[InstructionDoc] = &[
    InstructionDoc {
        keyword: Keyword::From,
        snippet: "FROM ${1:image}",
        summary: "Begins a build stage on a base image; `AS name` lets later stages and `COPY --from` refer to it. Example: `FROM python:3.12-slim AS base`.",
        forms: &[&["[--platform=<platform>]", "<image>[:<tag>|@<digest>]", "[AS <name>]"]],
    },
    InstructionDoc {
        keyword: Keyword::Run,
        snippet: "RUN ${1:command}",
        summary: "Executes a command on top of the current image and commits the result as a new layer. Example: `RUN apt-get update && apt-get install -y curl`.",
        forms: &[
            &["[--mount=<mount>]", "[--network=<mode>]", "[--security=<mode>]", "<command>"],
            &["[--mount=<mount>]", "[--network=<mode>]", "[--security=<mode>]", "[\"<executable>\", \"<arg>\"...]"],
        ],
    },
    InstructionDoc {
        keyword: Keyword::Cmd,
        snippet: "CMD [\"${1:executable}\"]",
        summary: "The command a container runs when none is given, or the default arguments of the ENTRYPOINT. Only the last CMD of a stage counts. Example: `CMD [\"python\", \"app.py\"]`.",
        forms: &[&["[\"<executable>\", \"<arg>\"...]"], &["<command>"]],
    },
    InstructionDoc {
        keyword: Keyword::Label,
        snippet: "LABEL ${1:key}=\"${2:value}\"",
        summary: "Attaches key/value metadata to the image. Example: `LABEL org.opencontainers.image.source=\"https://example.com/repo\"`.",
        forms: &[&["<key>=<value>..."]],
    },
    InstructionDoc {
        keyword: Keyword::Maintainer,
        snippet: "MAINTAINER ${1:name}",
        summary: "Deprecated way to name the image's author; write `LABEL org.opencontainers.image.authors=\"...\"` instead.",
        forms: &[&["<name>"]],
    },
    InstructionDoc {
        keyword: Keyword::Expose,
        snippet: "EXPOSE ${1:80}",
        summary: "Records which ports the container listens on (it publishes nothing by itself). Example: `EXPOSE 8080/tcp`.",
        forms: &[&["<port>[/<protocol>]..."]],
    },
    InstructionDoc {
        keyword: Keyword::Env,
        snippet: "ENV ${1:key}=\"${2:value}\"",
        summary: "Sets environment variables seen by the rest of the stage, by stages built on it, and by the running container. Example: `ENV PATH=/opt/app/bin:$PATH`.",
        forms: &[&["<key>=<value>..."]],
    },
    InstructionDoc {
        keyword: Keyword::Add,
        snippet: "ADD ${1:src} ${2:dest}",
        summary: "Like COPY, but also fetches URLs and Git repositories and unpacks local tar archives. Prefer COPY for plain files. Example: `ADD --checksum=sha256:... https://example.com/tool.tgz /opt/`.",
        forms: &[
            &["[--chown=<user>:<group>]", "[--chmod=<perms>]", "[--checksum=<digest>]", "[--keep-git-dir]", "[--link]", "<src>...", "<dest>"],
            &["[--chown=<user>:<group>]", "[--chmod=<perms>]", "[\"<src>\",...", "\"<dest>\"]"],
        ],
    },
    InstructionDoc {
        keyword: Keyword::Copy,
        snippet: "COPY ${1:src} ${2:dest}",
        summary: "Copies files from the build context, another stage (`--from`) or an image into the image. A relative destination is relative to WORKDIR. Example: `COPY --from=build /app/bin /usr/local/bin/`.",
        forms: &[
            &["[--from=<stage>]", "[--chown=<user>:<group>]", "[--chmod=<perms>]", "[--link]", "[--parents]", "[--exclude=<pattern>]", "<src>...", "<dest>"],
            &["[--from=<stage>]", "[--chown=<user>:<group>]", "[\"<src>\",...", "\"<dest>\"]"],
        ],
    },
    InstructionDoc {
        keyword: Keyword::Entrypoint,
        snippet: "ENTRYPOINT [\"${1:executable}\"]",
        summary: "The executable every container of the image starts; CMD supplies its default arguments. Example: `ENTRYPOINT [\"/usr/bin/tini\", \"--\"]`.",
        forms: &[&["[\"<executable>\", \"<arg>\"...]"], &["<command>"]],
    },
    InstructionDoc {
        keyword: Keyword::Volume,
        snippet: "VOLUME ${1:/data}",
        summary: "Marks paths whose contents live outside the container's writable layer; later build steps cannot change them. Example: `VOLUME /var/lib/postgresql/data`.",
        forms: &[&["<path>..."], &["[\"<path>\",...]"]],
    },
    InstructionDoc {
        keyword: Keyword::User,
        snippet: "USER ${1:user}",
        summary: "Runs the rest of the stage and the container as this user (and group). Example: `USER 10001:10001`.",
        forms: &[&["<user>[:<group>]"]],
    },
    InstructionDoc {
        keyword: Keyword::Workdir,
        snippet: "WORKDIR ${1:/app}",
        summary: "Changes the directory later instructions and the container work in, creating it when missing; a relative path is joined to the current one. Example: `WORKDIR /srv/app`.",
        forms: &[&["<path>"]],
    },
    InstructionDoc {
        keyword: Keyword::Arg,
        snippet: "ARG ${1:name}",
        summary: "Declares a build argument (`docker build --build-arg name=value`), with an optional default. Before the first FROM it is global: a stage sees it only after declaring it again. Example: `ARG VERSION=1.0`.",
        forms: &[&["<name>[=<default>]..."]],
    },
    InstructionDoc {
        keyword: Keyword::Onbuild,
        snippet: "ONBUILD ${1:instruction}",
        summary: "Stores an instruction that runs later, in the build of any image that uses this one as its base. Example: `ONBUILD COPY . /app`.",
        forms: &[&["<instruction>"]],
    },
    InstructionDoc {
        keyword: Keyword::Stopsignal,
        snippet: "STOPSIGNAL ${1:SIGTERM}",
        summary: "The signal `docker stop` sends to the container's main process. Example: `STOPSIGNAL SIGQUIT`.",
        forms: &[&["<signal>"]],
    },
    InstructionDoc {
        keyword: Keyword::Healthcheck,
        snippet: "HEALTHCHECK --interval=${1:30s} CMD ${2:command}",
        summary: "A command Docker runs inside the container to tell whether it is healthy, or `NONE` to drop the base image's check. Example: `HEALTHCHECK --interval=30s CMD curl -f http://localhost/ || exit 1`.",
        forms: &[
            &["[--interval=<duration>]", "[--timeout=<duration>]", "[--start-period=<duration>]", "[--start-interval=<duration>]", "[--retries=<n>]", "CMD <command>"],
            &["NONE"],
        ],
    },
    InstructionDoc {
        keyword: Keyword::Shell,
        snippet: "SHELL [\"${1:/bin/bash}\", \"-c\"]",
        summary: "Replaces the shell that runs the shell form of RUN, CMD and ENTRYPOINT. Example: `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]`.",
        forms: &[&["[\"<executable>\", \"<arg>\"...]"]],
    },
];

/// The documentation of `keyword`.
#[must_use]
pub fn instruction(keyword: Keyword) -> Option<&'static InstructionDoc> {
    INSTRUCTIONS.iter().find(|d| d.keyword == keyword)
}

/// One flag of an instruction.
#[derive(Debug)]
pub struct FlagDoc {
    pub name: &'static str,
    /// What completion inserts after `--name` (empty: nothing, a switch).
    pub snippet: &'static str,
    pub summary: &'static str,
    /// Known values, offered after `--name=`.
    pub values: &'static [&'static str],
    /// Whether it may appear more than once.
    pub repeatable: bool,
}

const fn flag(
    name: &'static str,
    snippet: &'static str,
    summary: &'static str,
    values: &'static [&'static str],
) -> FlagDoc {
    FlagDoc {
        name,
        snippet,
        summary,
        values,
        repeatable: false,
    }
}

const FROM_FLAGS: &[FlagDoc] = &[flag(
    "platform",
    "=${1:linux/amd64}",
    "The platform of the base image to pull, for a multi-platform image. Example: `FROM --platform=$BUILDPLATFORM golang AS build`.",
    &[
        "$BUILDPLATFORM",
        "$TARGETPLATFORM",
        "linux/amd64",
        "linux/arm64",
        "linux/arm/v7",
        "linux/386",
        "linux/ppc64le",
        "linux/s390x",
        "windows/amd64",
    ],
)];

const RUN_FLAGS: &[FlagDoc] = &[
    FlagDoc {
        name: "mount",
        snippet: "=type=${1|cache,bind,secret,ssh,tmpfs|},target=${2:/path}",
        summary: "Mounts something into the command's filesystem for this RUN only: a cache kept between builds, files of the context or a stage, a secret, the SSH agent or a tmpfs. Example: `RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt`.",
        values: &["type="],
        repeatable: true,
    },
    flag(
        "network",
        "=${1|default,none,host|}",
        "The network the command runs in: `default`, `none` (no network) or `host` (needs the `network.host` entitlement). Example: `RUN --network=none make test`.",
        &["default", "none", "host"],
    ),
    flag(
        "security",
        "=${1|insecure,sandbox|}",
        "`insecure` runs the command with elevated privileges (needs the `security.insecure` entitlement); `sandbox`, the default, does not. Example: `RUN --security=insecure mount -t tmpfs none /mnt`.",
        &["insecure", "sandbox"],
    ),
    FlagDoc {
        name: "device",
        snippet: "=${1:name}",
        summary: "Makes a CDI device available to the command (labs syntax: `# syntax=docker/dockerfile:1-labs`). Example: `RUN --device=nvidia.com/gpu=all nvidia-smi`.",
        values: &[],
        repeatable: true,
    },
];

const FROM_STAGE: FlagDoc = flag(
    "from",
    "=${1:stage}",
    "Takes the sources from a build stage, an image or a named context instead of the build context. Example: `COPY --from=build /out/app /usr/local/bin/app`.",
    &[],
);
const CHOWN: FlagDoc = flag(
    "chown",
    "=${1:user}:${2:group}",
    "Owner (and group) of the copied files, by name or numeric id; root otherwise. Example: `COPY --chown=app:app . /app`.",
    &[],
);
const CHMOD: FlagDoc = flag(
    "chmod",
    "=${1:644}",
    "Permissions of the copied files, in octal or symbolic notation. Example: `COPY --chmod=755 entrypoint.sh /usr/local/bin/`.",
    &[],
);
const LINK: FlagDoc = flag(
    "link",
    "",
    "Copies into an independent layer, so the layer is reused even when earlier layers change. Example: `COPY --link --from=build /app /app`.",
    &["true", "false"],
);
const PARENTS: FlagDoc = flag(
    "parents",
    "",
    "Keeps the parent folders of each source below the destination (`a/b/c.txt` lands in `dest/a/b/c.txt`). Example: `COPY --parents ./services/*/package.json /app/`.",
    &["true", "false"],
);
const EXCLUDE: FlagDoc = FlagDoc {
    name: "exclude",
    snippet: "=${1:pattern}",
    summary: "Leaves out the files matching a pattern (repeat the flag for more). Example: `COPY --exclude=*.md . /app`.",
    values: &[],
    repeatable: true,
};

const COPY_FLAGS: &[FlagDoc] = &[FROM_STAGE, CHOWN, CHMOD, LINK, PARENTS, EXCLUDE];

const ADD_FLAGS: &[FlagDoc] = &[
    CHOWN,
    CHMOD,
    LINK,
    PARENTS,
    EXCLUDE,
    flag(
        "checksum",
        "=${1:sha256:}",
        "The digest a remote source must have; the build fails when it differs. Example: `ADD --checksum=sha256:24454f83... https://example.com/app.tar.gz /`.",
        &[],
    ),
    flag(
        "keep-git-dir",
        "",
        "Keeps the `.git` folder when the source is a Git repository. Example: `ADD --keep-git-dir https://github.com/moby/buildkit.git#v0.26.0 /src`.",
        &["true", "false"],
    ),
    flag(
        "unpack",
        "=${1|true,false|}",
        "Whether a tar archive is extracted: local archives are by default, remote ones are not. Example: `ADD --unpack=true https://example.com/data.tar.gz /data/`.",
        &["true", "false"],
    ),
];

const HEALTHCHECK_FLAGS: &[FlagDoc] = &[
    flag(
        "interval",
        "=${1:30s}",
        "Time between two checks (default 30s). Example: `--interval=1m`.",
        &[],
    ),
    flag(
        "timeout",
        "=${1:30s}",
        "How long one check may run before it counts as failed (default 30s). Example: `--timeout=5s`.",
        &[],
    ),
    flag(
        "start-period",
        "=${1:0s}",
        "Time the container gets to start: failures during it do not count (default 0s). Example: `--start-period=20s`.",
        &[],
    ),
    flag(
        "start-interval",
        "=${1:5s}",
        "Time between checks during the start period (default 5s). Example: `--start-interval=2s`.",
        &[],
    ),
    flag(
        "retries",
        "=${1:3}",
        "How many failures in a row make the container unhealthy (default 3). Example: `--retries=5`.",
        &[],
    ),
];

/// The flags `keyword` accepts.
#[must_use]
pub fn flags(keyword: Keyword) -> &'static [FlagDoc] {
    match keyword {
        Keyword::From => FROM_FLAGS,
        Keyword::Run => RUN_FLAGS,
        Keyword::Copy => COPY_FLAGS,
        Keyword::Add => ADD_FLAGS,
        Keyword::Healthcheck => HEALTHCHECK_FLAGS,
        _ => &[],
    }
}

/// The flag `name` of `keyword`.
#[must_use]
pub fn flag_doc(keyword: Keyword, name: &str) -> Option<&'static FlagDoc> {
    flags(keyword).iter().find(|f| f.name == name)
}

/// A `RUN --mount` type and the keys it takes.
#[derive(Debug)]
pub struct MountType {
    pub name: &'static str,
    pub summary: &'static str,
    pub keys: &'static [&'static str],
}

pub const MOUNT_TYPES: &[MountType] = &[
    MountType {
        name: "bind",
        summary: "Files of the build context, a stage or an image, read-only unless `rw` (writes are thrown away). The default type.",
        keys: &["target", "source", "from", "rw"],
    },
    MountType {
        name: "cache",
        summary: "A folder kept between builds for compilers and package managers; it is not part of the image.",
        keys: &["id", "target", "ro", "sharing", "from", "source", "mode", "uid", "gid"],
    },
    MountType {
        name: "tmpfs",
        summary: "An empty in-memory folder for this RUN.",
        keys: &["target", "size"],
    },
    MountType {
        name: "secret",
        summary: "A secret passed with `docker build --secret`, as a file or an environment variable, never stored in the image.",
        keys: &["id", "target", "env", "required", "mode", "uid", "gid"],
    },
    MountType {
        name: "ssh",
        summary: "The SSH agent socket passed with `docker build --ssh`, for cloning private repositories.",
        keys: &["id", "target", "required", "mode", "uid", "gid"],
    },
];

/// What a `--mount` key means.
#[must_use]
pub fn mount_key_doc(key: &str) -> &'static str {
    match key {
        "type" => "The kind of mount: `bind` (default), `cache`, `tmpfs`, `secret` or `ssh`.",
        "target" | "dst" | "destination" => "Where the mount appears in the command's filesystem.",
        "source" | "src" => "The path inside `from` to mount (its root by default).",
        "from" => "The stage, image or named context the files come from.",
        "rw" | "readwrite" => "Lets the command write to a bind mount; the writes are discarded.",
        "ro" | "readonly" => "Makes a cache mount read-only.",
        "id" => "Names the cache or the secret/SSH socket (the target path by default).",
        "sharing" => {
            "How concurrent builds share a cache: `shared` (default), `private` or `locked`."
        }
        "mode" => "File mode of the mounted secret or cache root, in octal.",
        "uid" => "User id that owns the mounted secret, socket or cache root.",
        "gid" => "Group id that owns the mounted secret, socket or cache root.",
        "size" => "Upper limit of a tmpfs mount's size.",
        "env" => "Exposes the secret as this environment variable instead of a file.",
        "required" => "Fails the build when the secret or SSH socket was not passed.",
        _ => "",
    }
}

/// Known values of a `--mount` key.
#[must_use]
pub fn mount_key_values(key: &str) -> &'static [&'static str] {
    match key {
        "type" => &["bind", "cache", "tmpfs", "secret", "ssh"],
        "sharing" => &["shared", "private", "locked"],
        "rw" | "readwrite" | "ro" | "readonly" | "required" => &["true", "false"],
        _ => &[],
    }
}

/// Cache folders of the package managers, by the program a RUN runs: offered as
/// `type=cache,target=` values.
pub const CACHE_TARGETS: &[(&str, &str)] = &[
    ("apt-get", "/var/cache/apt"),
    ("apt-get", "/var/lib/apt/lists"),
    ("apt", "/var/cache/apt"),
    ("apt", "/var/lib/apt/lists"),
    ("apk", "/var/cache/apk"),
    ("dnf", "/var/cache/dnf"),
    ("yum", "/var/cache/yum"),
    ("pip", "/root/.cache/pip"),
    ("pip3", "/root/.cache/pip"),
    ("uv", "/root/.cache/uv"),
    ("poetry", "/root/.cache/pypoetry"),
    ("npm", "/root/.npm"),
    ("yarn", "/usr/local/share/.cache/yarn"),
    ("pnpm", "/root/.local/share/pnpm/store"),
    ("go", "/go/pkg/mod"),
    ("go", "/root/.cache/go-build"),
    ("cargo", "/usr/local/cargo/registry"),
    ("cargo", "/app/target"),
    ("mvn", "/root/.m2"),
    ("gradle", "/root/.gradle"),
    ("bundle", "/usr/local/bundle"),
    ("composer", "/tmp/cache"),
    ("dotnet", "/root/.nuget/packages"),
];

/// A build argument BuildKit defines without an `ARG`.
#[derive(Debug)]
pub struct PredefinedArg {
    pub name: &'static str,
    pub summary: &'static str,
    /// Whether it is a platform argument (seen by a stage only after `ARG NAME`).
    pub platform: bool,
}

const fn platform_arg(name: &'static str, summary: &'static str) -> PredefinedArg {
    PredefinedArg {
        name,
        summary,
        platform: true,
    }
}

const fn proxy_arg(name: &'static str) -> PredefinedArg {
    PredefinedArg {
        name,
        summary: "A proxy setting passed with `--build-arg`; usable in RUN without an ARG and left out of the image history.",
        platform: false,
    }
}

pub const PREDEFINED_ARGS: &[PredefinedArg] = &[
    platform_arg(
        "TARGETPLATFORM",
        "The platform being built for, `os/arch[/variant]` (`linux/arm64`).",
    ),
    platform_arg("TARGETOS", "The OS part of TARGETPLATFORM (`linux`)."),
    platform_arg(
        "TARGETARCH",
        "The architecture part of TARGETPLATFORM (`amd64`, `arm64`).",
    ),
    platform_arg(
        "TARGETVARIANT",
        "The variant part of TARGETPLATFORM (`v7`), empty for most platforms.",
    ),
    platform_arg(
        "BUILDPLATFORM",
        "The platform of the machine running the build (`linux/amd64`).",
    ),
    platform_arg("BUILDOS", "The OS part of BUILDPLATFORM."),
    platform_arg("BUILDARCH", "The architecture part of BUILDPLATFORM."),
    platform_arg("BUILDVARIANT", "The variant part of BUILDPLATFORM."),
    platform_arg(
        "TARGETSTAGE",
        "The name of the stage being built (`--target`), or the last stage.",
    ),
    proxy_arg("HTTP_PROXY"),
    proxy_arg("http_proxy"),
    proxy_arg("HTTPS_PROXY"),
    proxy_arg("https_proxy"),
    proxy_arg("FTP_PROXY"),
    proxy_arg("ftp_proxy"),
    proxy_arg("NO_PROXY"),
    proxy_arg("no_proxy"),
    proxy_arg("ALL_PROXY"),
    proxy_arg("all_proxy"),
];

/// The parser directives, with what each does and its usual values.
pub const DIRECTIVES: &[(&str, &str, &[&str])] = &[
    (
        "syntax",
        "The frontend image that parses this file; `docker/dockerfile:1` follows the latest stable syntax. Example: `# syntax=docker/dockerfile:1`.",
        &["docker/dockerfile:1", "docker/dockerfile:1-labs"],
    ),
    (
        "escape",
        "The character that escapes and continues lines: `\\` (default) or a backtick, handy for Windows paths. Example: ``# escape=` ``.",
        &["\\", "`"],
    ),
    (
        "check",
        "Configures BuildKit's build checks: `skip=` a list of checks (or `all`), `error=true` to fail the build on a warning. Example: `# check=skip=JSONArgsRecommended`.",
        &["skip=", "error=true", "skip=all"],
    ),
];

/// BuildKit's build checks, for `# check=skip=`.
pub const CHECKS: &[&str] = &[
    "ConsistentInstructionCasing",
    "CopyIgnoredFile",
    "DuplicateStageName",
    "ExposeInvalidFormat",
    "ExposeProtoCasing",
    "FromAsCasing",
    "FromPlatformFlagConstDisallowed",
    "InvalidBaseImagePlatform",
    "InvalidDefaultArgInFrom",
    "InvalidDefinitionDescription",
    "JSONArgsRecommended",
    "LegacyKeyValueFormat",
    "MaintainerDeprecated",
    "MultipleInstructionsDisallowed",
    "NoEmptyContinuation",
    "RedundantTargetPlatform",
    "ReservedStageName",
    "SecretsUsedInArgOrEnv",
    "StageNameCasing",
    "UndefinedArgInFrom",
    "UndefinedVar",
    "WorkdirRelativePath",
];

/// Official images offered after `FROM` (no network: a fixed list of well-known ones).
pub const OFFICIAL_IMAGES: &[&str] = &[
    "alpine",
    "amazoncorretto",
    "busybox",
    "caddy",
    "centos",
    "debian",
    "eclipse-temurin",
    "elixir",
    "gcc",
    "golang",
    "gradle",
    "haproxy",
    "httpd",
    "maven",
    "mariadb",
    "mongo",
    "mysql",
    "nginx",
    "node",
    "openjdk",
    "perl",
    "php",
    "postgres",
    "python",
    "rabbitmq",
    "redis",
    "ruby",
    "rust",
    "scratch",
    "ubuntu",
];
