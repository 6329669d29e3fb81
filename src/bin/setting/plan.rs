//! `setting plan SCENE`: the scene's planned timeline, computed here with no daemon, so staff
//! can check a scene before any client is in the room.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use setting::catalog::Catalog;
use setting::timeline::plan::plan;

use crate::args::Cli;
use crate::failure::Failure;
use crate::{arc_chart, locate, plan_svg, plan_view};

pub fn run(cli: &Cli, scene_name: &str, svg: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = locate::load(cli.config.as_deref())?;
    let catalog =
        Catalog::load(&config).context(Failure::BadInput("cannot read the scenes and playlists".into()))?;
    let scene = catalog
        .load_scene(scene_name)
        .with_context(|| Failure::BadInput(format!("cannot load scene `{scene_name}`")))?;
    let planned = plan(&scene, &config.policy);
    if let Some(path) = svg {
        arc_chart::write(&plan_svg::arc(&scene, &planned), path)?;
        if cli.json {
            println!("{}", serde_json::json!({ "scene": scene_name, "svg": path }));
        } else {
            println!("plan of {scene_name} drawn into {}", path.display());
        }
    } else if cli.json {
        println!("{}", serde_json::to_string_pretty(&planned)?);
    } else {
        print!("{}", plan_view::render(&scene, &planned));
    }
    Ok(ExitCode::SUCCESS)
}
