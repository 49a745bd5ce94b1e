"""Parses each line of a file with the ua-parser project's Python port over
a given regexes.yaml, printing one JSON object a line: the family and
version parts of the user agent and of the OS, None where the port gives
none."""
import json
import sys

import yaml
from ua_parser import Parser
from ua_parser.basic import Resolver
from ua_parser.loaders import load_data

regexes, agents = sys.argv[1], sys.argv[2]
with open(regexes, encoding="utf-8") as f:
    data = yaml.safe_load(f)
parser = Parser(Resolver(load_data((data["user_agent_parsers"], data["os_parsers"], []))))
with open(agents, encoding="utf-8") as f:
    for line in f:
        ua = line.rstrip("\n")
        if not ua or ua.startswith("#"):
            continue
        agent, os = parser.parse_user_agent(ua), parser.parse_os(ua)
        print(json.dumps({
            "ua": ua,
            "agent": None if agent is None else [agent.family, agent.major, agent.minor, agent.patch],
            "os": None if os is None else [os.family, os.major, os.minor, os.patch, os.patch_minor],
        }))
