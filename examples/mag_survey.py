#!/usr/bin/env python3
"""A magnetometer survey, end to end: lines -> clean grid -> targets -> dipole features -> score.

Simulates a cart survey (sapper.sim.mag: diurnal drift with a base station, heading error, lag,
noise, GPS jitter, magnetic soil, a regional gradient) over AT mines, UXO, minimum-metal AP mines
and fragments, then:
  1. preprocesses the lines (sapper.mag.preprocess: despike, diurnal from the base station, lag,
     heading, levelling, regional field);
  2. grids them (block median + minimum curvature + distance mask);
  3. picks targets on the analytic signal of the reduced-to-pole grid, paired with dipole lobes;
  4. fits a dipole to the readings around each pick (position, depth, moment, remanence);
  5. scores the picks against the truth with sapper.eval (halo matching, Pd against FA/m^2).
With --stn FILE it runs steps 1-4 on a Geometrics G-858 STN file instead (no truth to score).

  python examples/mag_survey.py [--seed 1] [--spacing 0.1] [--stn ../shared/data/mag/geometrics-g858/data_1.stn]
"""
import argparse
import time

import numpy as np

import sapper
from sapper import mag
from sapper.sim import mag as simmag


def targets(readings, field, height_m, spacing_m):
    """Steps 2-4 on preprocessed readings; returns the grid, the picks and one fit per pick."""
    x, y, v = readings["x_m"], readings["y_m"], readings["value_nt"]
    ok = np.isfinite(v)
    g = mag.grid(x[ok], y[ok], v[ok], spacing_m)
    picks = mag.pick_targets(g, inclination=field[1], declination=field[2])
    fits = []
    z = np.full(ok.sum(), height_m)
    for px, py in zip(picks["x"], picks["y"]):
        idx = mag.select_window(x[ok], y[ok], (px, py), 1.0)
        fits.append(mag.fit_dipole(x[ok][idx], y[ok][idx], z[idx], v[ok][idx], field,
                                   start=(px, py)) if len(idx) >= 20 else None)
    return g, picks, fits


def report(g, picks, fits, seconds):
    print(f"grid {g.shape[1]} x {g.shape[0]} cells of {g.dx:g} m, {np.isnan(g.values).mean() * 100:.0f}% masked; "
          f"{len(picks['x'])} picks; {seconds:.2f} s")
    print("   x (m)    y (m)  AS (nT/m)  depth (m)  |m| (A m^2)  remanence  coherence")
    for i, f in enumerate(fits):
        if f is None:
            continue
        print(f"  {picks['x'][i]:6.2f}  {picks['y'][i]:6.2f}  {picks['amplitude'][i]:9.2f}  {f.depth:9.2f}  "
              f"{f.moment_am2:11.4f}  {f.remanence_deg:8.0f}°  {f.coherence:9.3f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--spacing", type=float, default=0.1, help="grid cell, m")
    p.add_argument("--stn", help="a Geometrics G-858 STN file instead of a simulated survey")
    a = p.parse_args()
    t0 = time.perf_counter()
    if a.stn:
        data = sapper.io.read_mag(a.stn)
        r, steps = mag.preprocess(mag.readings_from_mag(data))
        print("steps:", ", ".join(s["step"] for s in steps))
        g, picks, fits = targets(r, simmag.KARABAKH, 0.3, max(a.spacing, 0.5))
        report(g, picks, fits, time.perf_counter() - t0)
        return
    survey = simmag.simulate(simmag.default_scene(), seed=a.seed)
    ef = survey.scene["earth_field"]
    field = (ef["total_nt"], ef["inclination_deg"], ef["declination_deg"])
    height = survey.scene["survey"]["sensor_height_m"]
    r, steps = mag.preprocess(mag.readings_from_survey(survey), base=survey.base_station)
    print("steps:", ", ".join(s["step"] for s in steps))
    g, picks, fits = targets(r, field, height, a.spacing)
    report(g, picks, fits, time.perf_counter() - t0)
    alarms = {"x": picks["x"], "y": picks["y"], "confidence": picks["amplitude"]}
    print(sapper.eval.score(alarms, survey.truth))


if __name__ == "__main__":
    main()
