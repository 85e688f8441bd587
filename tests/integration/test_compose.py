"""docker/compose.yaml describes the topology of `make fleet` (scripts/fleet.py): Docker cannot
run here, so this reads the file and checks its services, ports and volumes against the
script's constants, and the nginx confs of both against their one template, and its nodes
against the image of docker/Dockerfile (its volume, healthcheck and installed campaigns)."""
import os
import re
import shlex
import sys
import tempfile
import unittest

import yaml

SOURCE_DIR = os.environ.get("VETRINA_SOURCE_DIR",
                            os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_DIR, "scripts"))
import fleet  # noqa: E402

DOCKER_DIR = os.path.join(SOURCE_DIR, "docker")


def load_compose():
    with open(os.path.join(DOCKER_DIR, "compose.yaml")) as f:
        return yaml.safe_load(f)


def command_of(service):
    """The service's argv: entrypoint then command, each a list or a shell-like string."""
    argv = []
    for key in ("entrypoint", "command"):
        value = service.get(key) or []
        argv += shlex.split(value) if isinstance(value, str) else [str(v) for v in value]
    return argv


def flag(argv, name):
    """The value of `name` in argv (`--x V` or `--x=V`); None when absent."""
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def bidder_nodes(compose):
    """{service name: argv} of the services running `vetrina serve`."""
    return {name: argv for name, s in compose["services"].items()
            if (argv := command_of(s))[:2] == ["vetrina", "serve"]}


def upstreams(conf):
    """{upstream name: [server address, ...]} of an nginx conf."""
    blocks = re.findall(r"upstream\s+(\S+)\s*\{(.*?)\}", conf, re.S)
    return {name: re.findall(r"^\s*server\s+([^\s;]+)", body, re.M) for name, body in blocks}


def listens(conf):
    return re.findall(r"^\s*listen\s+([^\s;]+)\s*;", conf, re.M)


def port_of(host_port):
    return int(host_port.rsplit(":", 1)[1])


class ComposeMatchesMakeFleet(unittest.TestCase):
    def setUp(self):
        self.compose = load_compose()
        self.services = self.compose["services"]
        self.nodes = bidder_nodes(self.compose)
        with open(os.path.join(DOCKER_DIR, "nginx.conf")) as f:
            self.nginx_conf = f.read()

    def test_the_same_bidder_nodes(self):
        self.assertEqual(sorted(self.nodes), sorted(n.node_id for n in fleet.NODES))

    def test_every_node_id_is_unique_and_names_its_service(self):
        ids = [flag(argv, "--node-id") for argv in self.nodes.values()]
        self.assertEqual(len(ids), len(set(ids)), ids)
        for name, argv in self.nodes.items():
            self.assertEqual(flag(argv, "--node-id"), name)
        make_fleet_ids = [n.node_id for n in fleet.NODES]
        self.assertEqual(len(make_fleet_ids), len(set(make_fleet_ids)))

    def test_every_node_joins_the_redis_service(self):
        for name, argv in self.nodes.items():
            with self.subTest(node=name):
                self.assertEqual(flag(argv, "--redis"),
                                 f"redis://redis:{fleet.CONTAINER_REDIS_PORT}")

    def test_services_start_in_make_fleets_order(self):
        def waits_for(service):
            deps = self.services[service].get("depends_on") or {}
            self.assertTrue(all(d.get("condition") == "service_healthy" for d in deps.values()))
            return set(deps)

        first, *rest = [n.node_id for n in fleet.NODES]
        self.assertEqual(waits_for(first), {"redis"})
        for node in rest:  # they join the fleet the first node created
            self.assertEqual(waits_for(node), {first})
        self.assertEqual(waits_for("nginx"), set(self.nodes))
        for name in ["redis", *self.nodes]:
            self.assertIn("healthcheck", self.services[name])

    def test_only_the_first_node_seeds_campaigns_as_in_make_fleet(self):
        for spec in fleet.NODES:
            with self.subTest(node=spec.node_id):
                seeds = flag(self.nodes[spec.node_id], "--campaigns") is not None
                self.assertEqual(seeds, bool(fleet.seed_args(spec)))

    def test_every_node_keeps_its_data_in_its_own_volume(self):
        named = set(self.compose.get("volumes") or {})
        seen = set()
        for name, argv in self.nodes.items():
            with self.subTest(node=name):
                data_dir = flag(argv, "--data-dir")
                mounts = {v.split(":")[1]: v.split(":")[0] for v in self.services[name]["volumes"]}
                self.assertIn(data_dir, mounts)
                self.assertIn(mounts[data_dir], named)
                self.assertNotIn(mounts[data_dir], seen)
                seen.add(mounts[data_dir])

    def test_redis_keeps_an_append_only_file_fsynced_always_on_a_volume(self):
        redis = self.services["redis"]
        argv = command_of(redis)
        self.assertEqual(flag(argv, "--appendonly"), "yes")
        self.assertEqual(flag(argv, "--appendfsync"), "always")
        mounts = {v.split(":")[1]: v.split(":")[0] for v in redis["volumes"]}
        self.assertIn("/data", mounts)
        self.assertIn(mounts["/data"], set(self.compose.get("volumes") or {}))
        # make fleet's Redis runs with the same policy.
        self.assertIn("--appendfsync", fleet.REDIS_ARGS)
        self.assertEqual(fleet.REDIS_ARGS[fleet.REDIS_ARGS.index("--appendfsync") + 1], "always")
        self.assertEqual(fleet.REDIS_ARGS[fleet.REDIS_ARGS.index("--appendonly") + 1], "yes")

    def test_nginx_publishes_make_fleets_ports_on_loopback(self):
        nginx = self.services["nginx"]
        published = {}
        for mapping in nginx["ports"]:
            parts = str(mapping).split(":")
            self.assertEqual(len(parts), 3, f"{mapping}: publish on {fleet.HOST} only")
            host_ip, host_port, container_port = parts
            self.assertEqual(host_ip, fleet.HOST)
            published[int(host_port)] = int(container_port)
        self.assertEqual(published, {fleet.PUBLIC_PORT: fleet.PUBLIC_PORT,
                                     fleet.ADMIN_PORT: fleet.ADMIN_PORT})
        self.assertEqual(sorted(int(p) for p in listens(self.nginx_conf)), sorted(published.values()))

    def test_nginx_balances_over_every_nodes_public_and_admin_ports(self):
        self.assertIn("./nginx.conf:/etc/nginx/nginx.conf:ro", self.services["nginx"]["volumes"])
        ups = upstreams(self.nginx_conf)
        self.assertEqual(sorted(ups["vetrina_public"]), sorted(
            f"{name}:{port_of(flag(argv, '--listen'))}" for name, argv in self.nodes.items()))
        self.assertEqual(sorted(ups["vetrina_admin"]), sorted(
            f"{name}:{port_of(flag(argv, '--admin-listen'))}"
            for name, argv in self.nodes.items()))
        # The nodes listen where the image says, so nginx finds them there.
        for argv in self.nodes.values():
            self.assertEqual(port_of(flag(argv, "--listen")), fleet.CONTAINER_PUBLIC_PORT)
            self.assertEqual(port_of(flag(argv, "--admin-listen")), fleet.CONTAINER_ADMIN_PORT)

    def test_every_node_opts_in_to_an_admin_listener_on_the_compose_network(self):
        # The image keeps the admin listener on loopback; nginx reaches the nodes' over the
        # compose network, so each node says so, and none publishes a port of its own.
        for name, argv in self.nodes.items():
            with self.subTest(node=name):
                self.assertEqual(flag(argv, "--admin-listen"),
                                 f"0.0.0.0:{fleet.CONTAINER_ADMIN_PORT}")
                self.assertNotIn("ports", self.services[name])

    def test_every_node_is_checked_by_the_images_healthcheck_on_its_admin_port(self):
        for name, argv in self.nodes.items():
            with self.subTest(node=name):
                test = self.services[name]["healthcheck"]["test"]
                self.assertEqual(test, ["CMD", "vetrina-healthcheck",
                                        f"127.0.0.1:{port_of(flag(argv, '--admin-listen'))}"])
        with open(os.path.join(DOCKER_DIR, "Dockerfile")) as f:
            self.assertIn("docker/vetrina-healthcheck", f.read())

    def test_nodes_keep_their_data_in_the_images_volume_and_drain_on_stop(self):
        with open(os.path.join(DOCKER_DIR, "Dockerfile")) as f:
            volume = re.findall(r"^VOLUME (.*)$", f.read(), re.M)[-1].split()
        for name, argv in self.nodes.items():
            with self.subTest(node=name):
                self.assertEqual([flag(argv, "--data-dir")], volume)
                grace = self.services[name]["stop_grace_period"]
                self.assertGreaterEqual(int(grace.rstrip("s")), 10)

    def test_the_seeding_node_reads_the_campaigns_the_image_installs(self):
        # The image installs with prefix /usr; the install rules put the examples under
        # share/vetrina/schemas/examples (packaging/CMakeLists.txt).
        with open(os.path.join(SOURCE_DIR, "packaging", "CMakeLists.txt")) as f:
            self.assertIn("DESTINATION ${CMAKE_INSTALL_DATADIR}/vetrina/schemas/examples",
                          f.read())
        with open(os.path.join(DOCKER_DIR, "Dockerfile")) as f:
            dockerfile = f.read()
        self.assertIn("-DCMAKE_INSTALL_PREFIX=/usr", dockerfile)
        self.assertIn("COPY --from=build /stage/usr/share/vetrina /usr/share/vetrina", dockerfile)
        seeds = [flag(argv, "--campaigns") for argv in self.nodes.values()]
        self.assertEqual([s for s in seeds if s], ["/usr/share/vetrina/schemas/examples"])

    def test_compose_nginx_conf_is_the_template_rendered(self):
        self.assertEqual(self.nginx_conf, fleet.compose_nginx_conf(),
                         "docker/nginx.conf is stale: run scripts/fleet --write-compose-conf")

    def test_make_fleets_nginx_conf_has_the_same_upstreams_and_is_valid(self):
        with tempfile.TemporaryDirectory(prefix="vetrina-nginx-") as prefix:
            conf = fleet.loopback_nginx_conf(prefix, f"{fleet.HOST}:{fleet.PUBLIC_PORT}",
                                             f"{fleet.HOST}:{fleet.ADMIN_PORT}", fleet.NODES)
            ups = upstreams(conf)
            self.assertEqual(ups["vetrina_public"],
                             [f"{n.host}:{n.public_port}" for n in fleet.NODES])
            self.assertEqual(ups["vetrina_admin"],
                             [f"{n.host}:{n.admin_port}" for n in fleet.NODES])
            self.assertEqual(sorted(port_of(l) for l in listens(conf)),
                             [fleet.PUBLIC_PORT, fleet.ADMIN_PORT])
            # Both confs differ only in the slots the template leaves open.
            strip = re.compile(r"^\s*(server|listen|user|pid|error_log|\w+_temp_path)\s.*$\n?",
                               re.M)
            self.assertEqual(strip.sub("", conf).replace("\n\n", "\n"),
                             strip.sub("", self.nginx_conf).replace("\n\n", "\n"))
            ok, output = fleet.check_nginx_conf(conf, prefix)
            self.assertTrue(ok, output)


if __name__ == "__main__":
    unittest.main()
