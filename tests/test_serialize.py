import numpy as np

from qnn.golden import execute
from qnn.ir.nodes import node_fields
from qnn.ir.serialize import load_graph, save_graph


def test_save_load_identical(trained, tmp_path, mnist_small):
    for args in (("tfc", 2, 2, {"hidden": (32, 16)}), ("cnn", 4, 4, {"channels": (4, 8), "hidden": (16,)})):
        *_, graph, _ = trained(*args[:3], **args[3])
        save_graph(graph, tmp_path / args[0])
        back = load_graph(tmp_path / args[0])
        assert (back.input_shape, back.input_layout) == (graph.input_shape, graph.input_layout)
        assert [n.kind for n in back.nodes] == [n.kind for n in graph.nodes]
        for a, b in zip(graph.nodes, back.nodes):
            fa, fb = node_fields(a), node_fields(b)
            assert fa.keys() == fb.keys()
            for k in fa:
                va, vb = fa[k], fb[k]
                if isinstance(va, np.ndarray) or isinstance(vb, np.ndarray):
                    assert np.array_equal(va, vb) and np.asarray(va).dtype == np.asarray(vb).dtype, (a.name, k)
                else:
                    assert va == vb, (a.name, k)
        x = mnist_small[1].x[:50]
        assert np.array_equal(execute(graph, x), execute(back, x))
