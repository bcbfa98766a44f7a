//! What `dotnet restore` reads, for the manifests-first fix: the project or solution it is
//! given (or the one in its folder), every project those reference, each project's
//! `packages.lock.json`, the files a project imports, and the settings MSBuild and NuGet look up
//! from each project's folder to the context root (`Directory.Build.props`,
//! `Directory.Build.targets`, `Directory.Packages.props`, `NuGet.config`, `global.json`).
//! Copied alone, a project whose references are missing fails to restore, or restores without
//! the packages of the projects it was not given.

use super::manifests_first::{join_rel, normalize};
use crate::rules::Analysis;

const PROJECT_EXTENSIONS: &[&str] = &[".csproj", ".fsproj", ".vbproj"];
const SOLUTION_EXTENSIONS: &[&str] = &[".sln", ".slnx", ".slnf"];

/// Settings files looked up from a project's folder upwards.
const FOLDER_SETTINGS: &[&str] = &[
    "Directory.Build.props",
    "Directory.Build.targets",
    "Directory.Packages.props",
    "NuGet.config",
    "nuget.config",
    "NuGet.Config",
    "global.json",
];

/// The context files `dotnet restore` reads when run in the context folder `rel_dir` with the
/// project arguments `named` (as written: relative to that folder, `\` or `/`).
///
/// # Errors
/// When a file cannot be found or read, a folder holds several projects, or a project names
/// files by a pattern.
pub fn restore_inputs(
    cx: &Analysis<'_>,
    rel_dir: &str,
    named: &[String],
) -> Result<Vec<String>, String> {
    let mut queue: Vec<String> = Vec::new();
    if named.is_empty() {
        queue.push(the_project_in(cx, rel_dir)?);
    }
    for name in named {
        let path = normalize(&join_rel(rel_dir, &name.replace('\\', "/")))
            .ok_or_else(|| format!("`{name}` is outside the build context"))?;
        if is_project(&path) || is_solution(&path) {
            queue.push(path);
        } else {
            // `dotnet restore src`: the project in that folder
            queue.push(the_project_in(cx, &path)?);
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut folders: Vec<String> = Vec::new();
    while let Some(path) = queue.pop() {
        if out.contains(&path) {
            continue;
        }
        if !super::dependency_step::sent(cx, &path) {
            return Err(format!("`{path}` is not in the build context"));
        }
        let text = cx
            .context
            .read(&path)
            .ok_or_else(|| format!("`{path}` cannot be read to see what it references"))?;
        let dir = folder_of(&path);
        let follow = |reference: &str, what: &str| -> Result<String, String> {
            let reference = reference.replace('\\', "/");
            if reference.contains(['*', '?', '$']) {
                return Err(format!(
                    "`{path}` names {what} `{reference}` by a pattern or a property"
                ));
            }
            normalize(&join_rel(&dir, &reference)).ok_or_else(|| {
                format!("`{path}` references `{reference}`, outside the build context")
            })
        };
        if is_solution(&path) {
            let projects = if path.ends_with(".slnx") {
                attribute_values(&text, "Project", "Path")
            } else if path.ends_with(".slnf") {
                // a solution filter: JSON naming the solution and some of its projects
                let json: serde_json::Value =
                    serde_json::from_str(&text).map_err(|_| format!("`{path}` cannot be read"))?;
                let solution = json.get("solution");
                let mut list: Vec<String> = solution
                    .and_then(|s| s.get("projects"))
                    .and_then(|p| p.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if let Some(sln) = solution
                    .and_then(|s| s.get("path"))
                    .and_then(|p| p.as_str())
                {
                    list.push(sln.to_string());
                }
                list
            } else {
                sln_projects(&text)
            };
            for project in projects {
                let target = follow(&project, "a project")?;
                if is_project(&target) || is_solution(&target) {
                    queue.push(target);
                }
            }
        } else {
            for reference in attribute_values(&text, "ProjectReference", "Include") {
                queue.push(follow(&reference, "a project")?);
            }
            for import in attribute_values(&text, "Import", "Project") {
                // `$(MSBuildExtensionsPath)\...` and the SDK's own imports are not the project's
                if import.contains("$(") {
                    continue;
                }
                let target = follow(&import, "an import")?;
                if !super::dependency_step::sent(cx, &target) {
                    return Err(format!(
                        "`{path}` imports `{target}`, which is not in the build context"
                    ));
                }
                if !out.contains(&target) {
                    out.push(target);
                }
            }
            let lock = join_rel(&dir, "packages.lock.json");
            if super::dependency_step::sent(cx, &lock) && !out.contains(&lock) {
                out.push(lock);
            }
            if !folders.contains(&dir) {
                folders.push(dir);
            }
        }
        out.push(path);
    }
    // the settings of each project's folder and of every folder above it in the context
    let mut settings: Vec<String> = Vec::new();
    for dir in folders {
        let mut at = Some(dir);
        while let Some(d) = at {
            for name in FOLDER_SETTINGS {
                let file = join_rel(&d, name);
                if super::dependency_step::sent(cx, &file)
                    && !out.contains(&file)
                    && !settings.contains(&file)
                {
                    settings.push(file);
                }
            }
            at = (!d.is_empty()).then(|| folder_of(&d));
        }
    }
    out.extend(settings);
    Ok(out)
}

/// The one project or solution file in the context folder `dir`, which `dotnet restore` run
/// there uses.
fn the_project_in(cx: &Analysis<'_>, dir: &str) -> Result<String, String> {
    let entries = cx
        .context
        .entries(dir)
        .ok_or_else(|| format!("the folder `{dir}` cannot be listed to find its project"))?;
    let found: Vec<String> = entries
        .into_iter()
        .filter(|(name, folder)| !folder && (is_project(name) || is_solution(name)))
        .map(|(name, _)| join_rel(dir, &name))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!(
            "there is no project or solution file in `{}`",
            if dir.is_empty() { "." } else { dir }
        )),
        _ => Err(format!(
            "`{}` holds several project or solution files, and `dotnet` would not choose",
            if dir.is_empty() { "." } else { dir }
        )),
    }
}

/// The project paths of a `.sln` (`Project("{...}") = "Name", "src\Api\Api.csproj", "{...}"`).
fn sln_projects(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("Project("))
        .filter_map(|l| l.split(',').nth(1))
        .map(|p| p.trim().trim_matches('"').to_string())
        .filter(|p| PROJECT_EXTENSIONS.iter().any(|e| p.ends_with(e)))
        .collect()
}

/// The values of attribute `attr` of the XML elements named `tag`.
fn attribute_values(text: &str, tag: &str, attr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let open = format!("<{tag}");
    let mut rest = text;
    while let Some(at) = rest.find(&open) {
        rest = &rest[at + open.len()..];
        // `<ProjectReferences>` is another element
        if !rest.starts_with(|c: char| c.is_whitespace()) {
            continue;
        }
        let element = &rest[..rest.find('>').unwrap_or(rest.len())];
        let key = format!("{attr}=");
        if let Some(k) = element.find(&key) {
            let value = &element[k + key.len()..];
            if let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'') {
                if let Some(end) = value[1..].find(quote) {
                    out.push(value[1..=end].to_string());
                }
            }
        }
    }
    out
}

fn is_project(path: &str) -> bool {
    PROJECT_EXTENSIONS.iter().any(|e| path.ends_with(e))
}

fn is_solution(path: &str) -> bool {
    SOLUTION_EXTENSIONS.iter().any(|e| path.ends_with(e))
}

fn folder_of(path: &str) -> String {
    path.rsplit_once('/')
        .map_or(String::new(), |(d, _)| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::{attribute_values, sln_projects};

    #[test]
    fn references_and_solution_projects() {
        let csproj = r#"<Project Sdk="Microsoft.NET.Sdk.Web">
  <ItemGroup>
    <ProjectReference Include="..\Shared\Shared.csproj" />
    <ProjectReference
        Include='../Data/Data.csproj'>
    </ProjectReference>
  </ItemGroup>
  <ProjectReferences />
</Project>"#;
        assert_eq!(
            attribute_values(csproj, "ProjectReference", "Include"),
            vec!["..\\Shared\\Shared.csproj", "../Data/Data.csproj"]
        );
        let sln = "Microsoft Visual Studio Solution File, Format Version 12.00\n\
Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\") = \"Api\", \"src\\Api\\Api.csproj\", \"{1}\"\n\
EndProject\n\
Project(\"{2150E333-8FDC-42A3-9474-1A3956D46DE8}\") = \"docs\", \"docs\", \"{2}\"\n\
EndProject\n";
        assert_eq!(sln_projects(sln), vec!["src\\Api\\Api.csproj"]);
    }
}
