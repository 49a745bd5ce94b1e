//! A layered left-to-right layout for the component graph: longest-path
//! layering puts every component right of what sends to it, and a few
//! barycentre sweeps order each layer to keep edges from crossing.

/// Where a node goes: its column (layer) and its row within the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub layer: usize,
    pub row: usize,
}

/// Lays out `n` nodes joined by `edges` (index pairs in data-flow
/// direction). Cycles cannot loop forever: layering relaxes at most `n`
/// times. Nodes keep their input order where nothing says otherwise.
pub fn layered(n: usize, edges: &[(usize, usize)]) -> Vec<Place> {
    let edges: Vec<(usize, usize)> = edges.iter().copied().filter(|&(a, b)| a < n && b < n && a != b).collect();
    let mut layer = vec![0usize; n];
    for _ in 0..n {
        let mut moved = false;
        for &(a, b) in &edges {
            if layer[b] < layer[a] + 1 && layer[a] + 1 < n {
                layer[b] = layer[a] + 1;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    let depth = layer.iter().max().map_or(0, |m| m + 1);
    let mut columns: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (v, &l) in layer.iter().enumerate() {
        columns[l].push(v);
    }
    let mut row = vec![0usize; n];
    let set_rows = |columns: &[Vec<usize>], row: &mut [usize]| {
        for col in columns {
            for (i, &v) in col.iter().enumerate() {
                row[v] = i;
            }
        }
    };
    set_rows(&columns, &mut row);
    for sweep in 0..4 {
        let forward = sweep % 2 == 0;
        let order: Vec<usize> = if forward { (1..depth).collect() } else { (0..depth.saturating_sub(1)).rev().collect() };
        for l in order {
            let mut keyed: Vec<(f64, usize)> = columns[l]
                .iter()
                .map(|&v| {
                    let neighbours: Vec<usize> = edges
                        .iter()
                        .filter_map(|&(a, b)| {
                            if forward && b == v {
                                Some(a)
                            } else if !forward && a == v {
                                Some(b)
                            } else {
                                None
                            }
                        })
                        .collect();
                    let key =
                        if neighbours.is_empty() { row[v] as f64 } else { neighbours.iter().map(|&u| row[u] as f64).sum::<f64>() / neighbours.len() as f64 };
                    (key, v)
                })
                .collect();
            keyed.sort_by(|x, y| x.0.total_cmp(&y.0));
            columns[l] = keyed.into_iter().map(|(_, v)| v).collect();
            set_rows(&columns, &mut row);
        }
    }
    (0..n).map(|v| Place { layer: layer[v], row: row[v] }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipeline_runs_left_to_right() {
        // receiver → batch → {exporter, spanmetrics → prometheus}
        let p = layered(5, &[(0, 1), (1, 2), (1, 3), (3, 4)]);
        let layers: Vec<usize> = p.iter().map(|p| p.layer).collect();
        assert_eq!(layers, [0, 1, 2, 2, 3]);
        assert_ne!(p[2].row, p[3].row);
    }

    #[test]
    fn barycentres_uncross_edges() {
        // 0→3 and 1→2: ordering layer 1 by its senders puts 3 above 2.
        let p = layered(4, &[(0, 3), (1, 2)]);
        assert!(p[3].row < p[2].row, "{p:?}");
    }

    #[test]
    fn cycles_and_bad_indices_terminate() {
        let p = layered(3, &[(0, 1), (1, 2), (2, 0), (5, 1), (1, 1)]);
        assert_eq!(p.len(), 3);
    }
}
