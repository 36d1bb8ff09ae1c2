"""The community record: the shared folder of TOML files every meeting is saved into.

The folder and its files (``folder``, ``models``, ``scan``), the search index built from them
(``index``, ``browse``, ``stats``), follow-through on earlier action items (``followthrough``,
``events``), members and their roles (``members``), the community file edited in the app
(``community_edit``), sharing through git (``sync``, ``merge``, ``merge_driver``), reading only
(``readonly``) and a sample record (``demo``).
"""
